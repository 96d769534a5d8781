using static TorchSharp.torch;

namespace Adrpo.Models.Lora;

/// <summary>
/// A module whose linear children can be swapped for another module with the same call shape (a
/// <see cref="LoraLinear"/> wrapping them, or back). TorchSharp forwards through fields, not through the
/// registered-submodule table, so a swap must update both; the hosts keep those fields typed as
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> for that reason.
/// </summary>
internal interface ILinearHost
{
    /// <summary>Replaces the child registered as <paramref name="childName"/> (field and registration).</summary>
    /// <exception cref="ArgumentException">No swappable child has that name.</exception>
    void ReplaceChild(string childName, nn.Module<Tensor, Tensor> replacement);
}
