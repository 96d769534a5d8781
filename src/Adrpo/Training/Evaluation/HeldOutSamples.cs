using Adrpo.Rewards;
using static TorchSharp.torch;

namespace Adrpo.Training.Evaluation;

/// <summary>One held-out evaluation's samples and their rewards, row by row (each prompt repeated once per sample).</summary>
/// <param name="Prompts">The prompt of each row.</param>
/// <param name="Rewards">The reward models' scores of each row.</param>
/// <param name="Completions">The completions (language models), else null.</param>
/// <param name="Images">The images [rows, C, H, W] in [-1, 1] on the CPU (flow matching), else null; the caller disposes it.</param>
internal sealed record HeldOutSamples(IReadOnlyList<string> Prompts, RewardBatch Rewards, IReadOnlyList<string>? Completions, Tensor? Images);
