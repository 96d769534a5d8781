using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

// Input/output classes and factories for the CustomMapping reward models the reward tests use. ML.NET binds
// CustomMapping classes by member name, so the member names below are the column names the models read and write.

public sealed class CompletionText
{
    public string Completion { get; set; } = string.Empty;
}

public sealed class PromptAndCompletion
{
    public string Prompt { get; set; } = string.Empty;

    public string Completion { get; set; } = string.Empty;
}

public sealed class FloatScore
{
    public float Score { get; set; }
}

public sealed class BoolScore
{
    public bool Score { get; set; }
}

public sealed class TwoScores
{
    [VectorType(2)]
    public float[] Score { get; set; } = new float[2];
}

public sealed class Image3x32x32
{
    [VectorType(3, 32, 32)]
    public float[] Image { get; set; } = Array.Empty<float>();
}

public sealed class Image3x16x16
{
    [VectorType(3, 16, 16)]
    public float[] Image { get; set; } = Array.Empty<float>();
}

public sealed class FeatureVector
{
    [VectorType(4)]
    public float[] Features { get; set; } = Array.Empty<float>();
}

internal static class RewardMappings
{
    /// <summary>Fits a CustomMapping on an empty view of <typeparamref name="TIn"/> (CustomMapping has no state).</summary>
    public static ITransformer Fit<TIn, TOut>(MLContext ml, Action<TIn, TOut> map)
        where TIn : class, new()
        where TOut : class, new() =>
        ml.Transforms.CustomMapping(map, contractName: null).Fit(ml.Data.LoadFromEnumerable(Array.Empty<TIn>()));

    /// <summary>Score = number of characters of the completion.</summary>
    public static ITransformer Length(MLContext ml) =>
        Fit<CompletionText, FloatScore>(ml, (i, o) => o.Score = i.Completion.Length);

    /// <summary>Score = 1 when the completion repeats the prompt's first word, else 0: reads both columns.</summary>
    public static ITransformer EchoesPrompt(MLContext ml) =>
        Fit<PromptAndCompletion, FloatScore>(ml, (i, o) => o.Score = i.Completion.Contains(i.Prompt.Split(' ')[0], StringComparison.Ordinal) ? 1 : 0);

    /// <summary>Score = mean pixel of a 3x32x32 image.</summary>
    public static ITransformer MeanPixel(MLContext ml) =>
        Fit<Image3x32x32, FloatScore>(ml, (i, o) => o.Score = i.Image.Average());
}
