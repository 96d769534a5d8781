using Adrpo.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <content>LoRA: adding, toggling (via <see cref="AdaptersEnabled"/>) and merging adapters.</content>
public sealed partial class DitVelocityModel
{
    /// <summary>
    /// The default LoRA targets: the attention and MLP linears of every block. A target matches a linear whose
    /// module name equals it or ends with "." + it (e.g. <c>attn.qkv</c> matches <c>blocks.3.attn.qkv</c>).
    /// </summary>
    public static IReadOnlyList<string> DefaultLoraTargets { get; } = new[] { "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2" };

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
    /// <param name="targets">Module-name suffixes to adapt; null means <see cref="DefaultLoraTargets"/>.</param>
    /// <param name="generator">Seeded generator for the lora_A initialisation.</param>
    /// <exception cref="ArgumentException">A target matches no linear, or matches one that cannot be swapped.</exception>
    /// <exception cref="InvalidOperationException">The model already has adapters (merge them first).</exception>
    public void AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targets, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        targets ??= DefaultLoraTargets;
        if (HasAdapters)
        {
            throw new InvalidOperationException("The model already has LoRA adapters; call MergeAdapters() before adding new ones.");
        }

        if (targets.Count == 0 || targets.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("LoRA targets must be a non-empty list of module names.", nameof(targets));
        }

        var modulesByName = named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        var linears = modulesByName.Where(m => m.Value is Linear).Select(m => (Name: m.Key, Linear: (Linear)m.Value)).ToList();
        foreach (string target in targets)
        {
            if (!linears.Any(l => Matches(l.Name, target)))
            {
                throw new ArgumentException($"LoRA target '{target}' matches no linear layer; swappable ones end with {string.Join(", ", DefaultLoraTargets)}.", nameof(targets));
            }
        }

        var matched = linears.Where(l => targets.Any(t => Matches(l.Name, t)))
            .Select(l => (l.Name, l.Linear, Host: HostOf(l.Name, modulesByName, nameof(targets))))
            .ToList();
        long maxRank = matched.Min(m => Math.Min(m.Linear.weight!.shape[0], m.Linear.weight.shape[1]));
        if (rank < 1 || rank > maxRank)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"LoRA rank must be in [1, {maxRank}] for the targeted layers.");
        }

        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be a positive finite number.");
        }

        foreach (var p in parameters())
        {
            p.requires_grad = false;
        }

        foreach (var (name, linear, host) in matched)
        {
            var lora = new LoraLinear(linear, rank, alpha, generator) { AdaptersEnabled = _adaptersEnabled };
            host.ReplaceChild(ChildName(name), lora);
        }
    }

    /// <summary>
    /// Folds every adapter into its base weight (<c>W + (alpha / r) B A</c>) and removes the adapters, leaving plain
    /// linears with the original names (for export); all parameters become trainable again. No-op without adapters.
    /// </summary>
    public void MergeAdapters() => RemoveAdapters(merge: true);

    /// <summary>Replaces each adapter by a plain linear, with the merged or the original base weight.</summary>
    private void RemoveAdapters(bool merge)
    {
        var modulesByName = named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        foreach (var (name, lora) in LoraModules().ToList())
        {
            var host = HostOf(name, modulesByName, nameof(name));
            var baseParameters = lora.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            var baseWeight = baseParameters["base_layer.weight"];
            baseParameters.TryGetValue("base_layer.bias", out var baseBias);
            var plain = nn.Linear(baseWeight.shape[1], baseWeight.shape[0], hasBias: baseBias is not null, device: baseWeight.device, dtype: baseWeight.dtype);
            using (no_grad())
            {
                using var weight = merge ? lora.MergedWeight() : baseWeight.detach().clone();
                plain.weight!.copy_(weight);
                plain.bias?.copy_(baseBias!);
            }

            host.ReplaceChild(ChildName(name), plain);
            lora.Dispose();
        }

        foreach (var p in parameters())
        {
            p.requires_grad = true;
        }
    }

    /// <summary>The adapters with their module names (e.g. <c>blocks.0.attn.qkv</c>).</summary>
    private IEnumerable<(string Name, LoraLinear Lora)> LoraModules() =>
        named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module));

    private static bool Matches(string moduleName, string target) =>
        moduleName == target || moduleName.EndsWith("." + target, StringComparison.Ordinal);

    private static string ChildName(string moduleName) => moduleName[(moduleName.LastIndexOf('.') + 1)..];

    private static ILinearHost HostOf(string moduleName, Dictionary<string, nn.Module> modulesByName, string paramName)
    {
        int dot = moduleName.LastIndexOf('.');
        if (dot > 0 && modulesByName.TryGetValue(moduleName[..dot], out var parent) && parent is ILinearHost host)
        {
            return host;
        }

        throw new ArgumentException($"Linear '{moduleName}' cannot take a LoRA adapter; supported layers end with {string.Join(", ", DefaultLoraTargets)}.", paramName);
    }
}
