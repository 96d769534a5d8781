using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Losses.FlowMatching;
using Adrpo.Metrics;
using Adrpo.Models;
using Adrpo.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Reproduction.FlowMatching;

/// <summary>
/// Held-out evaluation of a text-to-image policy, as in the paper's Table 1 and Figure 3: mean learned reward
/// (the ClipScore analogue), diversity (mean pairwise ResNet-18 embedding distance among one prompt's samples, the
/// ClipDiversity analogue) and W2 to the reference, E|v(x_t,t,c) - v_ref(x_t,t,c)|^2 at points on the policy's own
/// sample paths (the quantity eq. 6 regularises). The noise, times and prompts are fixed by the evaluation seed, so
/// every method of a seed and every checkpoint of a run is measured on the same draws.
/// </summary>
internal sealed class FlowMatchingEvaluator(
    ITextEncoder encoder,
    MatchScorer scorer,
    ImageDiversity diversity,
    IReadOnlyList<string> prompts,
    int samplesPerPrompt,
    int seed,
    int odeSteps)
{
    private const int BatchSize = 40;

    /// <summary>Prompts of the evaluation, each repeated once per sample (prompt-major), as the images come back.</summary>
    private readonly List<string> _repeated = prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt)).ToList();

    public (double Reward, double Diversity, double W2) Evaluate(IConditionalVelocityModel model)
    {
        var generator = new FlowMatchingGeneratorTransformer(model, encoder, new GenerationSettings { Seed = seed, OdeSteps = odeSteps, BatchSize = BatchSize });
        var images = generator.GenerateSamples(prompts, samplesPerPrompt).SelectMany(samples => samples).ToList();
        double reward = scorer.Score(_repeated, images).Average(s => (double)s);
        double spread = diversity.MeanOverGroups(images, samplesPerPrompt, (int)model.SampleShape[0], (int)model.SampleShape[1], (int)model.SampleShape[2]);
        return (reward, spread, W2(model, images));
    }

    private double W2(IConditionalVelocityModel model, IReadOnlyList<float[]> images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var random = new Generator((ulong)seed + 7919);
        bool adapters = model.AdaptersEnabled;
        var conditions = encoder.Encode(_repeated);                                           // [n, D]
        double sum = 0;
        try
        {
            model.SetTraining(false);
            for (int start = 0; start < images.Count; start += BatchSize)
            {
                int count = Math.Min(BatchSize, images.Count - start);
                var x1 = stack(images.Skip(start).Take(count).Select(image => tensor(image).reshape(model.SampleShape)).ToArray());   // [b, C, H, W]
                var c = conditions.narrow(0, start, count);
                var x0 = randn(x1.shape, generator: random);
                var t = rand(new long[] { count }, generator: random);
                var xt = FlowMatchingPath.Interpolate(x0, x1, t);
                model.AdaptersEnabled = true;
                var v = model.Forward(xt, t, c);
                model.AdaptersEnabled = false;                                                // the base model is the reference
                var reference = model.Forward(xt, t, c);
                sum += VelocityError.PerSample(v, reference).sum().item<float>();
            }
        }
        finally
        {
            model.AdaptersEnabled = adapters;
        }

        return sum / images.Count;
    }
}
