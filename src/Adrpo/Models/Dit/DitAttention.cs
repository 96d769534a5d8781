using Adrpo.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// Multi-head self-attention over the patch tokens as in DiT (timm's <c>Attention</c>): one fused <c>qkv</c>
/// projection, <c>scaled_dot_product_attention</c> (no mask: every patch sees every patch), and the output
/// projection <c>proj</c>. Both projections are LoRA targets, so their fields are swappable.
/// </summary>
internal sealed class DitAttention : nn.Module<Tensor, Tensor>, ILinearHost
{
#pragma warning disable IDE1006 // DiT / timm key names
    private nn.Module<Tensor, Tensor> qkv;  // Linear(hidden, 3 * hidden)
    private nn.Module<Tensor, Tensor> proj; // Linear(hidden, hidden)
#pragma warning restore IDE1006

    private readonly int _heads;

    /// <summary>Creates the attention layer.</summary>
    /// <param name="hiddenSize">Token width.</param>
    /// <param name="heads">Number of heads (divides <paramref name="hiddenSize"/>).</param>
    public DitAttention(int hiddenSize, int heads) : base(nameof(DitAttention))
    {
        _heads = heads;
        qkv = nn.Linear(hiddenSize, 3 * hiddenSize);
        proj = nn.Linear(hiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="input">[B, N, hidden] tokens.</param>
    /// <returns>[B, N, hidden].</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], tokens = input.shape[1], hidden = input.shape[2];
        var heads = qkv.forward(input)
            .reshape(batch, tokens, 3, _heads, hidden / _heads)
            .permute(2, 0, 3, 1, 4); // [3, B, heads, N, head_dim]
        var attended = nn.functional.scaled_dot_product_attention(heads[0], heads[1], heads[2]); // [B, heads, N, head_dim]
        var merged = attended.transpose(1, 2).reshape(batch, tokens, hidden);
        return proj.forward(merged).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    void ILinearHost.ReplaceChild(string childName, nn.Module<Tensor, Tensor> replacement)
    {
        switch (childName)
        {
            case nameof(qkv):
                qkv = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(proj):
                proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            default:
                throw new ArgumentException($"DitAttention has no swappable child '{childName}' (expected qkv or proj).", nameof(childName));
        }
    }
}
