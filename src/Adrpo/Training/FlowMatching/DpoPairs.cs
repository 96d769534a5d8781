using Adrpo.Models;
using Adrpo.Rewards;
using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// The offline preference data of the DPO baseline: for each of a random set of distinct prompts, samples are drawn
/// once from the reference model (adapters off) and the best and worst by reward form the (preferred, dispreferred) pair.
/// </summary>
internal sealed class DpoPairs
{
    private DpoPairs(Tensor win, Tensor lose, Tensor conditions)
    {
        Win = win;
        Lose = lose;
        Conditions = conditions;
    }

    public Tensor Win { get; }

    public Tensor Lose { get; }

    public Tensor Conditions { get; }

    public long Count => Win.shape[0];

    /// <summary>
    /// Samples <paramref name="samplesPerPrompt"/> reference images for <paramref name="pairPrompts"/> distinct prompts
    /// drawn uniformly (without replacement) with <paramref name="generator"/>, <paramref name="promptsPerPass"/>
    /// prompts per sampling pass, and keeps the best and worst of each prompt whose samples differ in reward.
    /// </summary>
    public static DpoPairs FromReference(IConditionalVelocityModel model, FlowMatchingSampler sampler, Tensor conditions, IReadOnlyList<string> prompts, RewardScorer rewards, int samplesPerPrompt, int pairPrompts, int promptsPerPass, Generator generator, Action<string>? warn = null)
    {
        var wins = new List<Tensor>();
        var loses = new List<Tensor>();
        var conds = new List<Tensor>();
        long[] chosen = randperm(prompts.Count, generator: generator).narrow(0, 0, Math.Min(pairPrompts, prompts.Count)).data<long>().ToArray();
        model.SetTraining(false);
        model.AdaptersEnabled = false;
        try
        {
            for (int start = 0; start < chosen.Length; start += promptsPerPass)
            {
                using var scope = NewDisposeScope();
                long[] pass = chosen.Skip(start).Take(promptsPerPass).ToArray();
                var passConditions = conditions.index_select(0, tensor(pass).to(conditions.device));           // [k, D]
                var x = sampler.Sample(passConditions.repeat_interleave(samplesPerPrompt, 0), generator);       // [k * g, C, H, W]
                var scores = rewards.Score(pass.SelectMany(p => Enumerable.Repeat(prompts[(int)p], samplesPerPrompt)).ToList(), SampleRows.Of(x));
                if (warn is not null && scores.DescribeExcluded($"DPO reference samples {start * samplesPerPrompt + 1}-{(start + pass.Length) * samplesPerPrompt}") is string excluded)
                {
                    warn(excluded);
                }

                for (int k = 0; k < pass.Length; k++)
                {
                    var ranked = Enumerable.Range(k * samplesPerPrompt, samplesPerPrompt).Where(i => scores.Valid[i]).OrderByDescending(i => scores.Total[i]).ToList();
                    if (ranked.Count < 2 || scores.Total[ranked[0]] == scores.Total[ranked[^1]])
                    {
                        continue; // no preference can be formed for this prompt
                    }

                    wins.Add(x[ranked[0]].unsqueeze(0).MoveToOuterDisposeScope());
                    loses.Add(x[ranked[^1]].unsqueeze(0).MoveToOuterDisposeScope());
                    conds.Add(passConditions[k].unsqueeze(0).MoveToOuterDisposeScope());
                }
            }
        }
        finally
        {
            model.AdaptersEnabled = true;
        }

        if (wins.Count == 0)
        {
            throw new InvalidOperationException("DPO found no prompt whose reference samples differ in reward, so no preference pair could be formed.");
        }

        return new DpoPairs(cat(wins, 0), cat(loses, 0), cat(conds, 0));
    }
}
