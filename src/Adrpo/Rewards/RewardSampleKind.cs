namespace Adrpo.Rewards;

/// <summary>What a generated sample is, as seen by reward models.</summary>
internal enum RewardSampleKind
{
    /// <summary>Text (language-model completions): a <c>TextDataViewType</c> column.</summary>
    Text,

    /// <summary>A float32 tensor of known shape (e.g. an image 3x32x32): a <c>VectorDataViewType</c> of <c>Single</c>
    /// with those dimensions, values in row-major order.</summary>
    Vector,
}
