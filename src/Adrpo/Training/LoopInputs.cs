using Adrpo.Rewards;

namespace Adrpo.Training;

/// <summary>What a track's training loop is built from; <see cref="TrainerCore{TOptions, TMetrics}"/> prepares it.</summary>
/// <param name="Prompts">The distinct training prompts.</param>
/// <param name="Rewards">The reward scorer (schema already checked).</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Device">The device of the run.</param>
/// <param name="Warn">Receives warnings (e.g. partly invalid rewards).</param>
internal sealed record LoopInputs(IReadOnlyList<string> Prompts, RewardScorer Rewards, int Seed, TrainingDevice Device, Action<string> Warn);
