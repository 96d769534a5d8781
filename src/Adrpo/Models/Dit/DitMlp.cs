using Adrpo.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// The position-wise feed-forward of a DiT block (timm's <c>Mlp</c>): <c>fc1</c>, GELU with the tanh
/// approximation (DiT's choice), <c>fc2</c>. Both linears are LoRA targets, so their fields are swappable.
/// </summary>
internal sealed class DitMlp : nn.Module<Tensor, Tensor>, ILinearHost
{
#pragma warning disable IDE1006 // DiT / timm key names
    private nn.Module<Tensor, Tensor> fc1; // Linear(hidden, mlp_hidden)
    private nn.Module<Tensor, Tensor> fc2; // Linear(mlp_hidden, hidden)
#pragma warning restore IDE1006

    /// <summary>Creates the MLP.</summary>
    /// <param name="hiddenSize">Token width.</param>
    /// <param name="mlpHiddenSize">Inner width (hidden * mlp_ratio).</param>
    public DitMlp(int hiddenSize, int mlpHiddenSize) : base(nameof(DitMlp))
    {
        fc1 = nn.Linear(hiddenSize, mlpHiddenSize);
        fc2 = nn.Linear(mlpHiddenSize, hiddenSize);
        RegisterComponents();
    }

    /// <param name="input">[B, N, hidden] tokens.</param>
    /// <returns>[B, N, hidden].</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var inner = nn.functional.gelu(fc1.forward(input), GELU.Approximate.tanh); // [B, N, mlp_hidden]
        return fc2.forward(inner).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    void ILinearHost.ReplaceChild(string childName, nn.Module<Tensor, Tensor> replacement)
    {
        switch (childName)
        {
            case nameof(fc1):
                fc1 = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(fc2):
                fc2 = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            default:
                throw new ArgumentException($"DitMlp has no swappable child '{childName}' (expected fc1 or fc2).", nameof(childName));
        }
    }
}
