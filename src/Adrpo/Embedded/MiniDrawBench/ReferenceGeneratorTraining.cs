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
/// Times are drawn logit-normal (SD3's choice: the middle of the path, where the image is decided, gets most steps),
/// the learning rate warms up over the first 200 steps, and the returned weights are an exponential moving average
/// of the iterates (decay 0.999), which gives cleaner shapes than the last iterate after a short CPU budget.
/// The budget is still small, so composition (counts, sides, which colour goes where) stays imperfect and fine-tuning
/// has headroom.
/// </summary>
internal static class ReferenceGeneratorTraining
{
    /// <summary>
    /// The embedded default's DiT: 32x32x3, patch 4, hidden 128, 4 layers, 4 heads, adaLN on the pooled MiniLM vector
    /// and cross-attention to <see cref="EmbeddedMiniDrawBench.TokenSlots"/> MiniLM token states.
    /// </summary>
    public static DitConfig DefaultConfig => new()
    {
        ConditionDim = MiniLmTextEncoder.EmbeddingDimension,
        NumLayers = 4,
        CrossAttention = true,
        ConditionTokens = EmbeddedMiniDrawBench.TokenSlots,
    };

    /// <summary>Decay of the weights' moving average.</summary>
    public const double EmaDecay = 0.999;

    /// <summary>Renders of each prompt in the image pool made before training.</summary>
    public const int PoolRendersPerPrompt = 4;

    /// <summary>Pool entries re-rendered every step.</summary>
    public const int PoolRefreshPerStep = 4;

    /// <summary>Steps of linear learning-rate warm-up.</summary>
    public const int WarmupSteps = 200;

    /// <summary>Trains a generator from scratch.</summary>
    /// <param name="encoder">Frozen prompt encoder.</param>
    /// <param name="prompts">Training prompts.</param>
    /// <param name="config">Architecture.</param>
    /// <param name="steps">Optimisation steps.</param>
    /// <param name="batchSize">Images per step.</param>
    /// <param name="seed">Seed of initialisation, rendering, noise and times.</param>
    /// <param name="progress">Receives (step, mean loss of the last 100 steps).</param>
    /// <param name="initial">A generator to continue training (its config is used); null starts from scratch.</param>
    /// <param name="learningRate">Peak AdamW learning rate.</param>
    public static DitVelocityModel Pretrain(ITextEncoder encoder, IReadOnlyList<BenchPrompt> prompts, DitConfig config, int steps, int batchSize = 64, int seed = 11, IProgress<(int Step, double Loss)>? progress = null, DitVelocityModel? initial = null, double learningRate = 5e-4)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one training prompt is needed.", nameof(prompts));
        }

        var generator = new Generator((ulong)seed);
        var model = initial ?? new DitVelocityModel(config, generator);
        var optimizer = optim.AdamW(model.parameters(), learningRate, weight_decay: 0);
        var parameters = model.parameters().ToList();
        var average = parameters.Select(p => p.detach().clone()).ToList();
        var random = new Random(seed);
        using var text = encoder.Encode(prompts.Select(p => p.Text).ToList());

        // Rendering costs about 10 ms an image in C#, as much as the model's step at batch 48, so images come from a
        // pool: PoolRendersPerPrompt renders of every prompt made up front (in parallel, each from its own seeded
        // Random, so the pool does not depend on the thread count), and PoolRefreshPerStep entries re-rendered each
        // step so layouts keep changing.
        int imageSize = Bench.Channels * Bench.ImageSize * Bench.ImageSize;
        int poolSize = prompts.Count * PoolRendersPerPrompt;
        var pool = new float[poolSize][];
        var poolPrompt = Enumerable.Range(0, poolSize).Select(i => i % prompts.Count).ToArray();
        Parallel.For(0, poolSize, i => pool[i] = Bench.Render(prompts[poolPrompt[i]].Scene, new Random(unchecked((seed * 1_000_003) + i))));
        model.SetTraining(true);
        double running = 0;
        int retried = 0;
        for (int step = 1; step <= steps; step++)
        {
            try
            {
                running += Step(step);
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

        using (no_grad())
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                parameters[i].copy_(average[i]);
                average[i].Dispose();
            }
        }

        model.SetTraining(false);
        SkippedSteps = retried;
        return model;

        double Step(int step)
        {
            using var scope = NewDisposeScope();
            for (int r = 0; r < PoolRefreshPerStep; r++)
            {
                int entry = random.Next(poolSize);
                pool[entry] = Bench.Render(prompts[poolPrompt[entry]].Scene, random);
            }

            var picks = Enumerable.Range(0, batchSize).Select(_ => random.Next(poolSize)).ToArray();
            var index = picks.Select(e => (long)poolPrompt[e]).ToArray();
            var images = new float[batchSize * imageSize];
            for (int b = 0; b < batchSize; b++)
            {
                pool[picks[b]].CopyTo(images, b * imageSize);
            }

            var x1 = tensor(images).reshape(batchSize, Bench.Channels, Bench.ImageSize, Bench.ImageSize);
            var keep = (rand(new long[] { batchSize, 1 }, generator: generator) > 0.1).to_type(ScalarType.Float32);
            var condition = text.index_select(0, tensor(index)) * keep;
            var x0 = randn(x1.shape, generator: generator);
            var t = sigmoid(randn(new long[] { batchSize }, generator: generator));   // logit-normal(0, 1)
            var v = model.Forward(FlowMatchingPath.Interpolate(x0, x1, t), t, condition);
            var loss = VelocityError.PerSample(v, FlowMatchingPath.TargetVelocity(x0, x1)).mean();
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = learningRate * Math.Min(1.0, step / (double)WarmupSteps);
            }

            optimizer.step();
            using (no_grad())
            {
                for (int i = 0; i < parameters.Count; i++)
                {
                    average[i].mul_(EmaDecay).add_(parameters[i], alpha: 1 - EmaDecay);
                }
            }

            return loss.item<float>();   // CPU-GPU sync point (the trainer is CPU-only in practice)
        }
    }

    /// <summary>Steps the last <see cref="Pretrain"/> repeated after a TorchSharp scalar error (see the comment there).</summary>
    public static int SkippedSteps { get; private set; }
}
