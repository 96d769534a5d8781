using Adrpo.Losses.FlowMatching;
using Adrpo.Models.Dit;
using Adrpo.Text;
using static TorchSharp.torch;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;
using BenchPrompt = Adrpo.Data.MiniDrawBench.MiniDrawBenchPrompt;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// Pre-trains the embedded default's reference generator: plain conditional flow matching (eq. 5) on rendered
/// MiniDrawBench images, with the prompt dropped (zero condition) 10% of the time so guidance is possible.
/// The step budget is deliberately small so prompt fidelity stays imperfect and fine-tuning has reward headroom.
/// </summary>
internal static class ReferenceGeneratorTraining
{
    /// <summary>The embedded default's DiT: 32x32x3, patch 4, hidden 128, 4 layers, 4 heads, MiniLM conditions.</summary>
    public static DitConfig DefaultConfig => new() { ConditionDim = MiniLmTextEncoder.EmbeddingDimension };

    /// <summary>Trains a generator from scratch.</summary>
    /// <param name="encoder">Frozen prompt encoder.</param>
    /// <param name="prompts">Training prompts.</param>
    /// <param name="config">Architecture.</param>
    /// <param name="steps">Optimisation steps.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="seed">Seed of initialisation, rendering, noise and times.</param>
    /// <param name="progress">Receives (step, mean loss of the last 100 steps).</param>
    /// <param name="initial">A generator to continue training (its config is used); null starts from scratch.</param>
    public static DitVelocityModel Pretrain(ITextEncoder encoder, IReadOnlyList<BenchPrompt> prompts, DitConfig config, int steps, int batchSize = 64, int seed = 11, IProgress<(int Step, double Loss)>? progress = null, DitVelocityModel? initial = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one training prompt is needed.", nameof(prompts));
        }

        var generator = new Generator((ulong)seed);
        var model = initial ?? new DitVelocityModel(config, generator);
        var optimizer = optim.AdamW(model.parameters(), 3e-4, weight_decay: 0);
        var random = new Random(seed);
        using var text = encoder.Encode(prompts.Select(p => p.Text).ToList());
        model.SetTraining(true);
        double running = 0;
        int retried = 0;
        for (int step = 1; step <= steps; step++)
        {
            try
            {
                running += Step();
            }
            catch (System.Runtime.InteropServices.ExternalException) when (retried < 20)
            {
                // TorchSharp 0.107 occasionally reports a corrupted temporary Scalar ("Unknown scalar type") under
                // heavy GC pressure (seen twice in long CPU runs); the step is skipped and counted.
                retried++;
                step--;
                continue;
            }

            if (step % 100 == 0)
            {
                progress?.Report((step, running / 100));
                running = 0;
            }
        }

        model.SetTraining(false);
        SkippedSteps = retried;
        return model;

        double Step()
        {
            using var scope = NewDisposeScope();
            var index = Enumerable.Range(0, batchSize).Select(_ => (long)random.Next(prompts.Count)).ToArray();
            var x1 = tensor(index.SelectMany(i => Bench.Render(prompts[(int)i].Scene, random)).ToArray())
                .reshape(batchSize, Bench.Channels, Bench.ImageSize, Bench.ImageSize);
            var keep = (rand(new long[] { batchSize, 1 }, generator: generator) > 0.1).to_type(ScalarType.Float32);
            var condition = text.index_select(0, tensor(index)) * keep;
            var x0 = randn(x1.shape, generator: generator);
            var t = rand(new long[] { batchSize }, generator: generator);
            var v = model.Forward(FlowMatchingPath.Interpolate(x0, x1, t), t, condition);
            var loss = VelocityError.PerSample(v, FlowMatchingPath.TargetVelocity(x0, x1)).mean();
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            return loss.item<float>();
        }
    }

    /// <summary>Steps the last <see cref="Pretrain"/> repeated after a TorchSharp scalar error (see the comment there).</summary>
    public static int SkippedSteps { get; private set; }
}
