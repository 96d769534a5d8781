using Adrpo.Losses.FlowMatching;
using Adrpo.Models.Dit;
using Adrpo.Rewards;
using Adrpo.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training.FlowMatching;

/// <summary>Tiny, fast stand-ins: an 8x8 DiT, a hashing text encoder and a "redness" reward.</summary>
internal static class FlowMatchingTestFixtures
{
    public static readonly string[] TrainPrompts = { "a red square", "a blue circle", "two green stars", "a yellow triangle" };
    public static readonly string[] TestPrompts = { "a purple star", "three red circles" };

    public static DitConfig TinyConfig => new()
    {
        SampleSize = 8, InChannels = 3, PatchSize = 4, HiddenSize = 32, NumLayers = 2, NumAttentionHeads = 2,
        ConditionDim = HashingTextEncoder.Size, FrequencyEmbeddingSize = 32,
    };

    /// <summary>A DiT briefly pre-trained on noisy mid-grey images so its adaLN gates are no longer zero (a LoRA
    /// adapter on a freshly initialised DiT gets no gradient).</summary>
    public static DitVelocityModel PretrainedTinyDit()
    {
        // Pre-train once per test run, then hand out fresh copies (trainers change their generator in place).
        var state = PretrainedState.Value;   // outside no_grad: the first call trains
        var model = new DitVelocityModel(TinyConfig, new Generator(0));
        using var _ = no_grad();
        foreach (var (name, tensor) in model.state_dict())
        {
            tensor.copy_(state[name]);
        }

        model.SetTraining(false);
        return model;
    }

    private static readonly Lazy<Dictionary<string, Tensor>> PretrainedState = new(() =>
    {
        using var model = Pretrain(3);
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    });

    private static DitVelocityModel Pretrain(int seed)
    {
        var generator = new Generator((ulong)seed);
        var model = new DitVelocityModel(TinyConfig, generator);
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        var encoder = new HashingTextEncoder();
        var conditions = encoder.Encode(TrainPrompts);
        for (int step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            var x1 = (randn(new long[] { 8, 3, 8, 8 }, generator: generator) * 0.3) - 0.2;
            var c = conditions.index_select(0, randint(0, TrainPrompts.Length, new long[] { 8 }, generator: generator));
            var x0 = randn(x1.shape, generator: generator);
            var t = rand(new long[] { 8 }, generator: generator);
            var loss = VelocityError.PerSample(model.Forward(FlowMatchingPath.Interpolate(x0, x1, t), t, c), FlowMatchingPath.TargetVelocity(x0, x1)).mean();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }

        model.SetTraining(false);
        return model;
    }

    public static IDataView Prompts(MLContext context, IEnumerable<string> prompts) =>
        context.Data.LoadFromEnumerable(prompts.Select(p => new PromptRow { Prompt = p }).ToList());

    /// <summary>Reward = mean of the red channel: fine-tuning should make images redder.</summary>
    public static RewardModel RednessReward(MLContext context)
    {
        var estimator = context.Transforms.CustomMapping<ImageRow, ScoreRow>((input, output) => output.Score = input.Image.Take(64).Average(), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<ImageRow>())), 1.0, "Score", "redness");
    }

    public static float MeanRedness(IEnumerable<float[]> images) => images.Select(i => i.Take(64).Average()).Average();

    public sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }

    public sealed class ImageRow
    {
        public string Prompt { get; set; } = string.Empty;

        [VectorType(3, 8, 8)]
        public float[] Image { get; set; } = Array.Empty<float>();
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}

/// <summary>A deterministic 16-d prompt "encoder" (hashed character trigrams, unit norm) that counts its calls.</summary>
internal sealed class HashingTextEncoder : ITextEncoder
{
    public const int Size = 16;

    public int Dimension => Size;

    public int Calls { get; private set; }

    public Tensor Encode(IReadOnlyList<string> texts)
    {
        Calls++;
        var data = new float[texts.Count * Size];
        for (int i = 0; i < texts.Count; i++)
        {
            string s = texts[i];
            for (int j = 0; j + 2 < s.Length; j++)
            {
                int h = (s[j] * 31 * 31) + (s[j + 1] * 31) + s[j + 2];
                data[(i * Size) + (h % Size)] += 1;
            }

            double norm = Math.Sqrt(data.Skip(i * Size).Take(Size).Sum(v => v * v));
            for (int k = 0; k < Size && norm > 0; k++)
            {
                data[(i * Size) + k] /= (float)norm;
            }
        }

        return tensor(data, new long[] { texts.Count, Size });
    }
}
