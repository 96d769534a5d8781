using Adrpo.Training.FlowMatching;
using Microsoft.ML;

namespace Adrpo;

/// <summary>Adrpo's trainers, reached from an <see cref="MLContext"/> with <c>mlContext.FineTuning()</c>.</summary>
public sealed class FineTuningCatalog
{
    internal FineTuningCatalog(MLContext context) => Context = context;

    /// <summary>The context the trainers are created in (seed, GPU settings, log).</summary>
    public MLContext Context { get; }

    /// <summary>ADRPO (or a baseline) for a conditional flow-matching generator; see <see cref="AdrpoFlowMatchingTrainer"/>.</summary>
    public AdrpoFlowMatchingTrainer AdrpoFlowMatching(AdrpoFlowMatchingTrainer.Options options) => new(Context, options);

    /// <summary>ADRPO-GRPO (or the fixed-beta GRPO baseline) for a causal language model; see <see cref="Training.Language.AdrpoGrpoTrainer"/>.</summary>
    public Training.Language.AdrpoGrpoTrainer AdrpoGrpo(Training.Language.AdrpoGrpoTrainer.Options options) => new(Context, options);
}

/// <summary>Entry point: <c>mlContext.FineTuning()</c>.</summary>
public static class MLContextFineTuningExtensions
{
    /// <summary>Adrpo's RL fine-tuning trainers for generative models.</summary>
    public static FineTuningCatalog FineTuning(this MLContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new FineTuningCatalog(context);
    }
}
