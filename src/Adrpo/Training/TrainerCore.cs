using Adrpo.Native;
using Adrpo.Rewards;
using System.Globalization;
using Adrpo.Training.Checkpoints;
using Adrpo.Training.Evaluation;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Adrpo.Training;

/// <summary>
/// What both trainers are, held by composition: the context, the validated options, the ML.NET host, and the one
/// <c>Fit</c> path — compute threads, prompts, reward scorer (schema checked before any training), device, log
/// channel, the checkpointed outer loop with one metrics callback (log line, ordered progress, CSV), the metrics table
/// and disposal of the loop. A trainer adds only its output transformer and its output schema; what differs per track
/// (sample column, loop, log lines) comes from its options (<see cref="FineTuningOptions{TMetrics}"/>).
/// </summary>
/// <typeparam name="TOptions">The trainer's options type.</typeparam>
/// <typeparam name="TMetrics">The trainer's per-iteration metrics record.</typeparam>
internal sealed class TrainerCore<TOptions, TMetrics>
    where TOptions : FineTuningOptions<TMetrics>
    where TMetrics : IterationMetrics, new()
{
    /// <summary>Checks the native runtime and every option, so a bad setting fails when the trainer is built.</summary>
    public TrainerCore(MLContext context, TOptions options, string trainerName)
    {
        Context = context ?? throw new ArgumentNullException(nameof(context));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        TorchRuntime.EnsureAvailable();
        options.Validate();
        Host = ((IHostEnvironment)context).Register(trainerName);
    }

    public MLContext Context { get; }

    public TOptions Options { get; }

    public IHost Host { get; }

    /// <summary>Metrics of the last <see cref="Fit"/>, one row per iteration.</summary>
    public DataFrame? Metrics { get; private set; }

    /// <summary>Runs the whole fine-tuning and returns the transformer built after training from the seed and the device.</summary>
    public TTransformer Fit<TTransformer>(IDataView input, Func<int, TrainingDevice, TTransformer> buildTransformer)
    {
        ArgumentNullException.ThrowIfNull(input);
        var options = Options;
        using var threads = ComputeThreadScope.Enter(options.ComputeThreads);   // put back when Fit returns or throws
        var prompts = PromptReader.ReadDistinct(input, options.PromptColumnName);
        var rewards = new RewardScorer(Context, options.RewardModels, options.SampleColumn, options.PromptColumnName);
        rewards.ValidateSchema();   // a reward model that cannot read the columns fails before any training

        int seed = options.Seed ?? Host.Rand.Next();
        using var channel = Host.Start("Fit");
        Action<string> info = message => channel.Info(MessageSensitivity.None, message);
        Action<string> warn = message => channel.Warning(MessageSensitivity.None, message);
        using var progress = new OrderedProgress<TMetrics>(options.Progress, warn);
        info(options.DescribeRun(prompts.Count, seed));

        var device = TrainingDevice.Select(Context);   // the one choice of device for the run and the returned transformer
        using var evaluation = new HeldOutEvaluation<TMetrics>(options, seed, info, warn);
        using var loop = options.CreateLoop(new LoopInputs(prompts, rewards, seed, device, warn));
        void Publish(TMetrics metrics, string line)
        {
            info(line);
            progress.Report(metrics);
            if (options.MetricsCsvPath is not null)
            {
                MetricsTable.WriteCsv(MetricsTable.ToDataFrame(loop.Metrics), options.MetricsCsvPath);
            }
        }

        bool fresh = options.CheckpointPath is null || !options.ResumeFromCheckpoint || !File.Exists(options.CheckpointPath);
        if (fresh && evaluation.Baseline(loop) is TMetrics before)   // a resumed run has its row 0 in the checkpoint
        {
            loop.Metrics.Add(before);
            Publish(before, string.Create(CultureInfo.InvariantCulture, $"before training: held-out reward {before.HeldOutRewardMean:F4}"));
        }

        CheckpointedTraining.Run(
            loop,
            options.Iterations,
            new CheckpointSettings(options.CheckpointPath, options.CheckpointInterval, options.ResumeFromCheckpoint),
            options.CancellationToken,
            info,
            metrics =>
            {
                metrics = evaluation.AfterIteration(loop, metrics);
                loop.Metrics[^1] = metrics;
                Publish(metrics, options.DescribeIteration(metrics) + (metrics.HeldOutRewardMean is double heldOut ? string.Create(CultureInfo.InvariantCulture, $", held-out reward {heldOut:F4}") : string.Empty));
                return metrics;
            },
            () => evaluation.StopRequested);
        if (evaluation.StopRequested)
        {
            evaluation.RestoreBest(loop);
        }

        Metrics = MetricsTable.ToDataFrame(loop.Metrics);
        return buildTransformer(seed, device);
    }

    /// <summary>The output schema: the input's columns (the prompt column checked), with <paramref name="added"/> replacing any of the same name.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The prompt column is missing or not a String scalar.</exception>
    public SchemaShape OutputSchema(SchemaShape inputSchema, params SchemaShape.Column[] added)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string name = Options.PromptColumnName;
        var prompt = inputSchema.FirstOrDefault(c => c.Name == name);
        if (prompt.Name is null)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{name}' (the prompt column) was not found; expected a String scalar. Set Options.PromptColumnName.");
        }

        if (prompt.ItemType is not TextDataViewType || prompt.Kind != SchemaShape.Column.VectorKind.Scalar)
        {
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{name}' (the prompt column) must be a String scalar, but is {prompt.ItemType} ({prompt.Kind}).");
        }

        return new SchemaShape(inputSchema.Where(c => added.All(a => a.Name != c.Name)).Concat(added));
    }
}
