using static TorchSharp.torch;

namespace Adrpo.Models.Lora;

/// <summary>The registration half of <see cref="ILinearHost.ReplaceChild"/>, shared by every host.</summary>
internal static class LinearHostRegistration
{
    /// <summary>Re-registers <paramref name="name"/> on <paramref name="host"/> as <paramref name="replacement"/>;
    /// the caller assigns the returned module to its field.</summary>
    public static nn.Module<Tensor, Tensor> Swap(nn.Module host, string name, nn.Module<Tensor, Tensor> replacement)
    {
        host.register_module(name, null!); // TorchSharp: registering null removes the entry
        host.register_module(name, replacement);
        return replacement;
    }
}
