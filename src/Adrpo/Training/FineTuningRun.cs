using Adrpo.Rewards;
using Adrpo.Training.Checkpoints;
using Microsoft.Data.Analysis;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Adrpo.Training;

/// <summary>
/// The one <c>Fit</c> path of both trainers: compute threads, device, prompts, reward scorer (schema checked before
/// any training), log channel, the checkpointed outer loop with one metrics callback (log line, ordered progress,
/// CSV), the metrics table, and disposal of the loop. A trainer supplies only what differs per track: its sample
/// column, how to build its training loop, its log lines and how to build its output transformer.
/// </summary>
internal static class FineTuningRun
{
    /// <summary>Runs the whole fine-tuning and returns the trained transformer with the metrics, one row per iteration.</summary>
    /// <param name="context">The ML.NET context (device choice, reward pipelines).</param>
    /// <param name="host">The trainer's host (seed, log channel).</param>
    /// <param name="input">Data whose prompt column holds the training prompts.</param>
    /// <param name="options">The shared options (validated by the trainer's constructor).</param>
    /// <param name="sampleColumn">The column the reward models read the generated samples from.</param>
    /// <param name="startLine">The first log line, from the prompts and the seed.</param>
    /// <param name="iterationLine">The log line of one iteration's metrics.</param>
    /// <param name="buildLoop">Builds the track's training loop (sampling, scoring, loss step); it is disposed when Fit ends.</param>
    /// <param name="buildTransformer">Builds the output transformer from the seed and the run's device, after training.</param>
    public static (TTransformer Transformer, DataFrame Metrics) Fit<TMetrics, TTransformer>(
        MLContext context,
        IHost host,
        IDataView input,
        FineTuningOptions<TMetrics> options,
        RewardSampleColumn sampleColumn,
        Func<IReadOnlyList<string>, int, string> startLine,
        Func<TMetrics, string> iterationLine,
        Func<LoopInputs, IResumableTrainingLoop<TMetrics>> buildLoop,
        Func<int, TrainingDevice, TTransformer> buildTransformer)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var threads = ComputeThreadScope.Enter(options.ComputeThreads);   // put back when Fit returns or throws
        // Distinct prompts, each with its first row's other columns (e.g. "Answer"), which reach the reward models.
        // The loops draw prompts by index and fingerprint the prompts for checkpoints; the columns are reward inputs,
        // like the reward models themselves, and are not part of that fingerprint.
        var rows = PromptReader.ReadRows(input, options.PromptColumnName, sampleColumn.Name);
        var prompts = rows.Prompts;
        var rewards = new RewardScorer(context, options.RewardModels, rows, sampleColumn, options.PromptColumnName);
        rewards.ValidateSchema();   // a reward model that cannot read the columns (or declares a missing one) fails before any training

        int seed = options.Seed ?? host.Rand.Next();
        using var channel = host.Start("Fit");
        Action<string> info = message => channel.Info(MessageSensitivity.None, message);
        Action<string> warn = message => channel.Warning(MessageSensitivity.None, message);
        using var progress = new OrderedProgress<TMetrics>(options.Progress, warn);
        info(startLine(prompts, seed));
        if (rows.RepeatedPromptWarning is string repeated)
        {
            warn(repeated);
        }

        var device = TrainingDevice.Select(context);   // the one choice of device for the run and the returned transformer
        using var loop = buildLoop(new LoopInputs(prompts, rewards, seed, device, warn));
        CheckpointedTraining.Run(
            loop,
            options.Iterations,
            new CheckpointSettings(options.CheckpointPath, options.CheckpointInterval, options.ResumeFromCheckpoint),
            options.CancellationToken,
            info,
            metrics =>
            {
                info(iterationLine(metrics));
                progress.Report(metrics);
                if (options.MetricsCsvPath is not null)
                {
                    MetricsTable.WriteCsv(MetricsTable.ToDataFrame(loop.Metrics), options.MetricsCsvPath);
                }
            });

        var table = MetricsTable.ToDataFrame(loop.Metrics);
        return (buildTransformer(seed, device), table);
    }

    /// <summary>What a track's loop is built from.</summary>
    /// <param name="Prompts">The distinct training prompts.</param>
    /// <param name="Rewards">The reward scorer.</param>
    /// <param name="Seed">The run's seed.</param>
    /// <param name="Device">The device of the run.</param>
    /// <param name="Warn">Receives warnings (e.g. partly invalid rewards).</param>
    internal sealed record LoopInputs(IReadOnlyList<string> Prompts, RewardScorer Rewards, int Seed, TrainingDevice Device, Action<string> Warn);
}
