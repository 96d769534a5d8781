using Adrpo.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// The SwiGLU feed-forward block of Qwen2/Qwen3 and Llama: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>, without
/// biases unless Llama's <c>mlp_bias</c> is set.
/// Fields carry the Hugging Face key names; the three projections are LoRA targets, so their fields are swappable.
/// </summary>
internal sealed class QwenMlp : nn.Module<Tensor, Tensor>, ILinearHost
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private nn.Module<Tensor, Tensor> gate_proj;
    private nn.Module<Tensor, Tensor> up_proj;
    private nn.Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates the block for <paramref name="config"/>'s hidden and intermediate sizes.</summary>
    public QwenMlp(QwenConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(QwenMlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        bool bias = config.UsesMlpBias;
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: bias, device: device, dtype: dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: bias, device: device, dtype: dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: bias, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="input">[batch, tokens, hidden].</param>
    /// <returns>[batch, tokens, hidden].</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(gate_proj.forward(input)) * up_proj.forward(input); // [B, T, intermediate]
        return down_proj.forward(gated).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    void ILinearHost.ReplaceChild(string childName, nn.Module<Tensor, Tensor> replacement)
    {
        switch (childName)
        {
            case nameof(gate_proj):
                gate_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(up_proj):
                up_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            case nameof(down_proj):
                down_proj = LinearHostRegistration.Swap(this, childName, replacement);
                break;
            default:
                throw new ArgumentException($"QwenMlp has no swappable child '{childName}' (expected gate_proj, up_proj or down_proj).", nameof(childName));
        }
    }
}
