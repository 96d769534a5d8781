using System.Globalization;
using Adrpo.Training.Checkpoints;
using Microsoft.ML;
using static TorchSharp.torch;

namespace Adrpo.Training.Evaluation;

/// <summary>
/// Evaluation during training, for both trainers: the held-out reward before training and every
/// <see cref="FineTuningOptions{TMetrics}.EvaluationInterval"/> iterations (always with the same seed, so the same
/// noise), the samples' log, the reward-hacking guard, and the trainable weights of the best evaluation for
/// <see cref="FineTuningOptions{TMetrics}.StopOnRewardHacking"/>. The track's loop only samples and scores
/// (<see cref="IResumableTrainingLoop{TMetrics}.SampleHeldOut"/>).
/// </summary>
internal sealed class HeldOutEvaluation<TMetrics> : IDisposable
    where TMetrics : IterationMetrics, new()
{
    private readonly FineTuningOptions<TMetrics> _options;
    private readonly IReadOnlyList<string>? _prompts;
    private readonly ulong _seed;
    private readonly RewardHackingGuard _guard;
    private readonly Action<string> _info;
    private readonly Action<string> _warn;
    private List<Tensor>? _best;
    private double _bestReward = double.NegativeInfinity;
    private int _bestIteration = -1;

    public HeldOutEvaluation(FineTuningOptions<TMetrics> options, int seed, Action<string> info, Action<string> warn)
    {
        _options = options;
        _info = info;
        _warn = warn;
        // A seed of its own, fixed for the run: every evaluation draws the same noise, and training's random streams
        // are never touched, so a run with evaluation trains exactly as one without.
        _seed = unchecked((ulong)(uint)seed + 0x9E3779B9UL);
        _guard = new RewardHackingGuard(options.MaxDivergence, options.DivergenceName);
        if (options.EvaluationData is not null)
        {
            _prompts = ReadPrompts(options.EvaluationData, options.PromptColumnName);
        }
    }

    /// <summary>True once the guard fired with <see cref="FineTuningOptions{TMetrics}.StopOnRewardHacking"/> set.</summary>
    public bool StopRequested { get; private set; }

    /// <summary>The row of iteration 0: the held-out reward of the model before training (null without evaluation data).</summary>
    public TMetrics? Baseline(IResumableTrainingLoop<TMetrics> loop)
    {
        if (_prompts is null)
        {
            return null;
        }

        var (mean, perModel) = Evaluate(loop, 0);
        _ = _guard.ObserveEvaluation(0, mean);   // the first point of the held-out trend; nothing to compare yet
        return (TMetrics)(MetricsTable.Blank<TMetrics>() with { Iteration = 0, HeldOutRewardMean = mean, HeldOutRewardMeanPerModel = perModel });
    }

    /// <summary>Runs the guard on an iteration's metrics and, when an evaluation is due, adds its held-out reward.</summary>
    public TMetrics AfterIteration(IResumableTrainingLoop<TMetrics> loop, TMetrics metrics)
    {
        Report(_guard.ObserveIteration(metrics.Iteration, metrics.RewardMean, _options.DivergenceOf(metrics)));
        if (_prompts is null || (metrics.Iteration % _options.EvaluationInterval != 0 && metrics.Iteration != _options.Iterations))
        {
            return metrics;
        }

        var (mean, perModel) = Evaluate(loop, metrics.Iteration);
        Report(_guard.ObserveEvaluation(metrics.Iteration, mean));
        return (TMetrics)(metrics with { HeldOutRewardMean = mean, HeldOutRewardMeanPerModel = perModel });
    }

    /// <summary>Puts back the trainable weights of the best held-out evaluation, if this run made one.</summary>
    public void RestoreBest(IResumableTrainingLoop<TMetrics> loop)
    {
        if (_best is null)
        {
            _warn("StopOnRewardHacking: no held-out evaluation was made in this process, so the weights stay as they are at the stop.");
            return;
        }

        using (no_grad())
        {
            var parameters = loop.TrainableParameters();
            for (int i = 0; i < parameters.Count; i++)
            {
                parameters[i].copy_(_best[i]);
            }
        }

        _info(string.Create(CultureInfo.InvariantCulture, $"StopOnRewardHacking: the model holds the weights of iteration {_bestIteration}, the best held-out reward ({_bestReward:G4})."));
    }

    public void Dispose()
    {
        _best?.ForEach(t => t.Dispose());
        _best = null;
    }

    private (double Mean, IReadOnlyDictionary<string, double> PerModel) Evaluate(IResumableTrainingLoop<TMetrics> loop, int iteration)
    {
        var samples = loop.SampleHeldOut(_prompts!, _options.EvaluationSamplesPerPrompt, _seed);
        try
        {
            var rewards = samples.Rewards;
            double mean = rewards.Total.Where(float.IsFinite).DefaultIfEmpty(float.NaN).Average(v => (double)v);
            var perModel = rewards.PerModel.ToDictionary(kv => kv.Key, kv => kv.Value.Where(float.IsFinite).DefaultIfEmpty(float.NaN).Average(v => (double)v));
            string where = string.Empty;
            if (_options.EvaluationSamplesFolder is string folder)
            {
                where = $"; samples in '{EvaluationSampleLog.Write(folder, iteration, samples, _options.EvaluationSamplesPerPrompt)}'";
            }

            _info(string.Create(CultureInfo.InvariantCulture, $"held-out evaluation after {iteration} iterations: reward {mean:F4} ({string.Join(", ", perModel.Select(kv => $"{kv.Key} {kv.Value:F4}"))}) on {rewards.Count} samples{where}."));
            if (_options.StopOnRewardHacking && mean > _bestReward)
            {
                KeepBest(loop, iteration, mean);
            }

            return (mean, perModel);
        }
        finally
        {
            samples.Images?.Dispose();
        }
    }

    // A CPU copy of the trainable tensors (the LoRA adapters, or every weight in full fine-tuning) at the best evaluation.
    private void KeepBest(IResumableTrainingLoop<TMetrics> loop, int iteration, double reward)
    {
        Dispose();
        using (no_grad())
        {
            _best = loop.TrainableParameters().Select(p => p.detach().cpu().clone()).ToList();
        }

        _bestReward = reward;
        _bestIteration = iteration;
    }

    private void Report(string? warning)
    {
        if (warning is null)
        {
            return;
        }

        _warn(warning);
        if (_options.StopOnRewardHacking && !StopRequested)
        {
            StopRequested = true;
            _warn("StopOnRewardHacking is set: training stops after this iteration.");
        }
    }

    private static IReadOnlyList<string> ReadPrompts(IDataView data, string column)
    {
        try
        {
            var prompts = PromptReader.ReadAll(data, column);
            return prompts.Count > 0 ? prompts : throw new ArgumentException($"Options.EvaluationData has no rows: column '{column}' must hold at least one held-out prompt.");
        }
        catch (ArgumentException e) when (!e.Message.StartsWith("Options.EvaluationData", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Options.EvaluationData: {e.Message}", "options", e);
        }
    }
}
