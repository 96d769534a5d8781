using Adrpo.Models.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <content>LoRA: adding, toggling (via <see cref="AdaptersEnabled"/>) and merging adapters.</content>
public sealed partial class DitVelocityModel
{
    /// <summary>
    /// The default LoRA targets: the attention and MLP linears of every block. A target matches a linear whose
    /// module name equals it or ends with "." + it (e.g. <c>attn.qkv</c> matches <c>blocks.3.attn.qkv</c>), as in
    /// PEFT's <c>target_modules</c> list.
    /// </summary>
    public static IReadOnlyList<string> DefaultLoraTargets { get; } = new[] { "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2" };

    /// <summary>The cross-attention linears, adapted too by default when the model has cross-attention: binding a
    /// colour to a shape is learned there.</summary>
    public static IReadOnlyList<string> CrossAttentionLoraTargets { get; } = new[] { "cross_attn.q", "cross_attn.kv", "cross_attn.proj" };

    /// <summary>This model's default targets: <see cref="DefaultLoraTargets"/>, plus
    /// <see cref="CrossAttentionLoraTargets"/> when it has cross-attention.</summary>
    private IReadOnlyList<string> LoraTargetsOfThisModel =>
        Config.CrossAttention ? DefaultLoraTargets.Concat(CrossAttentionLoraTargets).ToList() : DefaultLoraTargets;

    /// <summary>Adds adapters to the <see cref="DefaultLoraTargets"/>.</summary>
    /// <param name="rank">Adapter rank r.</param>
    /// <param name="alpha">LoRA alpha (the update is scaled by alpha / r).</param>
    /// <param name="generator">Seeded generator for the lora_A initialisation.</param>
    public void AddLoraAdapters(int rank, double alpha, Generator generator) => AddLoraAdapters(rank, alpha, null, generator);

    /// <summary>
    /// Wraps every target linear in a <see cref="LoraLinear"/> and freezes all base weights, so
    /// <see cref="TrainableParameters"/> returns only lora_A / lora_B. Fresh adapters leave the output unchanged.
    /// Nothing is modified when an argument is invalid.
    /// </summary>
    /// <param name="rank">Adapter rank r, in [1, min(in, out)] of every target.</param>
    /// <param name="alpha">LoRA alpha, positive.</param>
    /// <param name="targets">Module-name suffixes to adapt; null means <see cref="DefaultLoraTargets"/> (and
    /// <see cref="CrossAttentionLoraTargets"/> with cross-attention).</param>
    /// <param name="generator">Seeded generator for the lora_A initialisation.</param>
    /// <exception cref="ArgumentException">A target matches no linear that can be swapped (a block's attention or MLP linear).</exception>
    /// <exception cref="InvalidOperationException">The model already has adapters (merge them first).</exception>
    public void AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targets, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        targets ??= LoraTargetsOfThisModel;
        if (HasAdapters)
        {
            throw new InvalidOperationException("The model already has LoRA adapters; call MergeAdapters() before adding new ones.");
        }

        var names = LoraInjection.Select(this, targets.ToList(), LoraTargetsOfThisModel, nameof(targets));
        LoraInjection.Add(this, names, rank, alpha, dropout: 0, generator, dropoutRandom: null, _adaptersEnabled);
    }

    /// <summary>
    /// Folds every adapter into its base weight (<c>W + (alpha / r) B A</c>) and removes the adapters, leaving plain
    /// linears with the original names (for export); all parameters become trainable again. No-op without adapters.
    /// </summary>
    public void MergeAdapters() => RemoveAdapters(merge: true);

    /// <summary>Replaces each adapter by a plain linear, with the merged or the original base weight.</summary>
    private void RemoveAdapters(bool merge) => LoraInjection.Remove(this, merge);

    /// <summary>The adapters with their module names (e.g. <c>blocks.0.attn.qkv</c>).</summary>
    private IEnumerable<(string Name, LoraLinear Lora)> LoraModules() => LoraInjection.Modules(this);
}
