using Adrpo.Models;
using Adrpo.Rewards;
using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>
/// The offline preference data of the DPO baseline: for every prompt, samples are drawn once from the reference
/// model (adapters off) and the best and worst by reward form the (preferred, dispreferred) pair.
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

    public static DpoPairs FromReference(IConditionalVelocityModel model, FlowMatchingSampler sampler, Tensor conditions, IReadOnlyList<string> prompts, RewardScorer rewards, int samplesPerPrompt, Generator generator)
    {
        var wins = new List<Tensor>();
        var loses = new List<Tensor>();
        var conds = new List<Tensor>();
        model.SetTraining(false);
        model.AdaptersEnabled = false;
        try
        {
            for (int p = 0; p < prompts.Count; p++)
            {
                using var scope = NewDisposeScope();
                var c = conditions[p].unsqueeze(0).expand(samplesPerPrompt, -1).contiguous();
                var x = sampler.Sample(c, generator);
                var scores = rewards.Score(Enumerable.Repeat(prompts[p], samplesPerPrompt).ToList(), x.reshape(samplesPerPrompt, -1).cpu().data<float>().ToArray().Chunk((int)(x.numel() / samplesPerPrompt)).ToList());
                var ranked = Enumerable.Range(0, samplesPerPrompt).Where(i => scores.Valid[i]).OrderByDescending(i => scores.Total[i]).ToList();
                if (ranked.Count < 2 || scores.Total[ranked[0]] == scores.Total[ranked[^1]])
                {
                    continue; // no preference can be formed for this prompt
                }

                wins.Add(x[ranked[0]].unsqueeze(0).MoveToOuterDisposeScope());
                loses.Add(x[ranked[^1]].unsqueeze(0).MoveToOuterDisposeScope());
                conds.Add(conditions[p].unsqueeze(0).MoveToOuterDisposeScope());
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
