using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// The SwiGLU feed-forward block of Qwen2/Qwen3: <c>down_proj(silu(gate_proj(x)) * up_proj(x))</c>, no biases.
/// Fields carry the Hugging Face key names.
/// </summary>
internal sealed class QwenMlp : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates the block for <paramref name="config"/>'s hidden and intermediate sizes.</summary>
    public QwenMlp(QwenConfig config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(QwenMlp))
    {
        ArgumentNullException.ThrowIfNull(config);
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false, device: device, dtype: dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false, device: device, dtype: dtype);
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
}
