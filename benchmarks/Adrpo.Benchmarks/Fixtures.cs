// Stand-ins shared by the trainer benchmarks (soak, steps): a hashing text encoder, cheap ML.NET rewards, a tiny
// pre-trained DiT and the random-weight initialisation used wherever a fresh adaLN-Zero DiT would give no gradient.
using Adrpo.Losses.FlowMatching;
using Adrpo.Models.Dit;
using Adrpo.Rewards;
using Adrpo.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Benchmarks;

internal static class Fixtures
{
    public static readonly string[] FlowPrompts = { "a red square", "a blue circle", "two green stars", "a yellow triangle" };
    public static readonly string[] TextPrompts = { "hello", "tell me about rain", "what is a cat", "12 worlds" };

    /// <summary>An 8x8 DiT briefly pre-trained on noisy mid-grey images so its adaLN gates are no longer zero (LoRA
    /// on a fresh DiT gets no gradient); copied from the tests' FlowMatchingTestFixtures.</summary>
    public static DitVelocityModel PretrainedTinyDit()
    {
        var config = new DitConfig
        {
            SampleSize = 8, InChannels = 3, PatchSize = 4, HiddenSize = 32, NumLayers = 2, NumAttentionHeads = 2,
            ConditionDim = HashingTextEncoder.Size, FrequencyEmbeddingSize = 32,
        };
        var generator = new Generator(3);
        var model = new DitVelocityModel(config, generator);
        var optimizer = optim.Adam(model.parameters(), 3e-3);
        using (var conditions = new HashingTextEncoder().Encode(FlowPrompts))
        {
            for (int step = 0; step < 100; step++)
            {
                using var scope = NewDisposeScope();
                var x1 = (randn(new long[] { 8, 3, 8, 8 }, generator: generator) * 0.3) - 0.2;
                var c = conditions.index_select(0, randint(0, FlowPrompts.Length, new long[] { 8 }, generator: generator));
                var x0 = randn(x1.shape, generator: generator);
                var t = rand(new long[] { 8 }, generator: generator);
                var loss = VelocityError.PerSample(model.Forward(FlowMatchingPath.Interpolate(x0, x1, t), t, c), FlowMatchingPath.TargetVelocity(x0, x1)).mean();
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
        }

        optimizer.Dispose();
        model.SetTraining(false);
        return model;
    }

    /// <summary>Overwrites every parameter (adapters included) with N(0, 1/fan_in) weights and N(0, 0.02) biases, so
    /// adaLN gates, the output layer and LoRA B (N(0, 0.05)) are non-zero: every path carries signal and gradient.</summary>
    public static void Randomise(nn.Module model, ulong seed)
    {
        var generator = new Generator(seed);
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            // One scope per parameter: its randn and product temporaries go before the next parameter's. One scope for
            // the whole model kept two model-sized temporaries alive (4.8 GB at Qwen3-0.6B's shape), and glibc kept
            // much of that heap afterwards, which the scale benchmark's peak RSS then counted.
            using var scope = NewDisposeScope();
            double std = name.EndsWith("lora_B.weight", StringComparison.Ordinal) ? 0.05 : p.dim() >= 2 ? 1.0 / Math.Sqrt(p.numel() / p.shape[0]) : 0.02;
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                p.copy_(1 + (randn(p.shape, generator: generator) * 0.1));
            }
            else
            {
                p.copy_(randn(p.shape, generator: generator) * std);
            }
        }
    }

    /// <summary>Mean of the first 64 values (the red channel's first rows) of a 3 x side x side image.</summary>
    public static RewardModel RednessReward(MLContext context, int side) => side switch
    {
        8 => Redness<ImageRow8>(context, r => r.Image),
        32 => Redness<ImageRow32>(context, r => r.Image),
        _ => throw new ArgumentOutOfRangeException(nameof(side), side, "8 or 32"),
    };

    /// <summary>Number of ASCII letters in the completion.</summary>
    public static RewardModel LetterReward(MLContext context)
    {
        var estimator = context.Transforms.CustomMapping<TextRow, ScoreRow>((input, output) => output.Score = input.Completion.Count(char.IsAsciiLetter), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<TextRow>())), 1.0, "Score", "letters");
    }

    public static IDataView Prompts(MLContext context, IEnumerable<string> prompts) =>
        context.Data.LoadFromEnumerable(prompts.Select(p => new PromptRow { Prompt = p }).ToList());

    private static RewardModel Redness<TRow>(MLContext context, Func<TRow, float[]> image)
        where TRow : class, new()
    {
        var estimator = context.Transforms.CustomMapping<TRow, ScoreRow>((input, output) => output.Score = image(input).Take(64).Average(), contractName: null);
        return new RewardModel(estimator.Fit(context.Data.LoadFromEnumerable(new List<TRow>())), 1.0, "Score", "redness");
    }

    private sealed class PromptRow
    {
        public string Prompt { get; set; } = string.Empty;
    }

    private sealed class ImageRow8
    {
        public string Prompt { get; set; } = string.Empty;

        [VectorType(3, 8, 8)]
        public float[] Image { get; set; } = Array.Empty<float>();
    }

    private sealed class ImageRow32
    {
        public string Prompt { get; set; } = string.Empty;

        [VectorType(3, 32, 32)]
        public float[] Image { get; set; } = Array.Empty<float>();
    }

    private sealed class TextRow
    {
        public string Prompt { get; set; } = string.Empty;

        public string Completion { get; set; } = string.Empty;
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}

/// <summary>A deterministic 16-d prompt "encoder": hashed character trigrams, unit norm.</summary>
internal sealed class HashingTextEncoder : ITextEncoder
{
    public const int Size = 16;

    public int Dimension => Size;

    public Tensor Encode(IReadOnlyList<string> texts)
    {
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
