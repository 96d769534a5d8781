using Adrpo.Generation;
using Adrpo.Losses.FlowMatching;
using Adrpo.Models;
using Adrpo.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Reproduction.FlowMatching;

/// <summary>
/// Held-out samples of a text-to-image policy and its W2 to the reference, as in the paper's Table 1 and Figure 3:
/// W2 is E|v(x_t,t,c) - v_ref(x_t,t,c)|^2 at points on the policy's own sample paths (the quantity eq. 6 regularises).
/// The noise, times and prompts are fixed by the evaluation seed, so every method of a seed and every checkpoint of a
/// run is measured on the same draws. The studies score the samples with their own reward (learned match score,
/// MiniGenEval) and ResNet-18 diversity (the ClipDiversity analogue).
/// </summary>
internal sealed class FlowMatchingEvaluator(
    ITextEncoder encoder,
    IReadOnlyList<string> prompts,
    int samplesPerPrompt,
    int seed,
    int odeSteps)
{
    private const int BatchSize = 40;

    /// <summary>Prompts of the evaluation, each repeated once per sample (prompt-major), as <see cref="Sample"/> returns the images.</summary>
    public IReadOnlyList<string> RepeatedPrompts { get; } = prompts.SelectMany(p => Enumerable.Repeat(p, samplesPerPrompt)).ToList();

    public int SamplesPerPrompt => samplesPerPrompt;

    /// <summary>The policy's samples of every prompt, prompt-major, from the evaluation seed's noise.</summary>
    public IReadOnlyList<float[]> Sample(IConditionalVelocityModel model)
    {
        var generator = new FlowMatchingGeneratorTransformer(model, encoder, new GenerationSettings { Seed = seed, OdeSteps = odeSteps, BatchSize = BatchSize });
        return generator.GenerateSamples(prompts, samplesPerPrompt).SelectMany(samples => samples).ToList();
    }

    /// <summary>W2 to the reference (the model with its adapters off) at points between fresh noise and <paramref name="images"/>.</summary>
    public double W2(IConditionalVelocityModel model, IReadOnlyList<float[]> images)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var random = new Generator((ulong)seed + 7919);
        bool adapters = model.AdaptersEnabled;
        var conditions = encoder.Encode(RepeatedPrompts);                                     // [n, D]
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
