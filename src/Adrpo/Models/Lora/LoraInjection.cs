using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Lora;

/// <summary>
/// Puts <see cref="LoraLinear"/> adapters into a module tree and takes them out again. Targets match module names
/// as PEFT's list form of <c>target_modules</c> does: a linear is adapted when its full name equals a target or ends
/// with "." + the target (<c>q_proj</c> matches <c>model.layers.3.self_attn.q_proj</c>). Only linears whose parent
/// is an <see cref="ILinearHost"/> can be swapped.
/// </summary>
internal static class LoraInjection
{
    /// <summary>PEFT's matching rule for a list of target names.</summary>
    public static bool Matches(string moduleName, string target) =>
        moduleName == target || moduleName.EndsWith("." + target, StringComparison.Ordinal);

    /// <summary>The adapters with their module names (e.g. <c>model.layers.0.self_attn.q_proj</c>), in module order.</summary>
    public static IEnumerable<(string Name, LoraLinear Lora)> Modules(nn.Module root) =>
        root.named_modules().Where(m => m.module is LoraLinear).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>The names of the linears <paramref name="targets"/> select, checked: every target selects at least one swappable linear.</summary>
    /// <exception cref="ArgumentException">A target is blank or matches no swappable linear; the message lists the <paramref name="supported"/> names.</exception>
    public static List<string> Select(nn.Module root, IReadOnlyCollection<string> targets, IReadOnlyList<string> supported, string paramName)
    {
        if (targets.Count == 0 || targets.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("LoRA target modules must be a non-empty list of module names.", paramName);
        }

        var modulesByName = root.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        var swappable = modulesByName
            .Where(m => m.Value is Linear or LoraLinear && HostOf(m.Key, modulesByName) is not null)
            .Select(m => m.Key)
            .ToList();
        foreach (string target in targets)
        {
            if (!swappable.Any(name => Matches(name, target)))
            {
                throw new ArgumentException($"LoRA target '{target}' matches no linear layer that can take an adapter; supported names end with {string.Join(", ", supported)}.", paramName);
            }
        }

        return swappable.Where(name => targets.Any(t => Matches(name, t))).ToList();
    }

    /// <summary>
    /// Wraps every linear named in <paramref name="names"/> in a <see cref="LoraLinear"/> and freezes every other
    /// parameter of <paramref name="root"/>, so only lora_A / lora_B keep <c>requires_grad</c>. The adapters take
    /// the root's training mode. Checks rank and alpha before anything changes.
    /// </summary>
    public static void Add(nn.Module root, IReadOnlyList<string> names, int rank, double alpha, double dropout, Generator generator, Generator? dropoutRandom, bool enabled)
    {
        var modulesByName = root.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        var linears = names.Select(n => (Name: n, Linear: (Linear)modulesByName[n], Host: HostOf(n, modulesByName)!)).ToList();
        long maxRank = linears.Min(l => Math.Min(l.Linear.weight!.shape[0], l.Linear.weight.shape[1]));
        if (rank < 1 || rank > maxRank)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"LoRA rank must be in [1, {maxRank}] for the targeted layers.");
        }

        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be a positive finite number.");
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "LoRA dropout must be a probability in [0, 1).");
        }

        foreach (var p in root.parameters())
        {
            p.requires_grad = false;
        }

        foreach (var (name, linear, host) in linears)
        {
            var lora = new LoraLinear(linear, rank, alpha, generator, dropout, dropoutRandom) { AdaptersEnabled = enabled };
            lora.train(root.training);
            host.ReplaceChild(ChildName(name), lora);
        }
    }

    /// <summary>
    /// Replaces each adapter by a plain linear holding the merged weight <c>W + (alpha / r) B A</c> (or, with
    /// <paramref name="merge"/> false, the untouched base weight); every parameter becomes trainable again.
    /// </summary>
    public static void Remove(nn.Module root, bool merge)
    {
        var modulesByName = root.named_modules().ToDictionary(m => m.name, m => m.module, StringComparer.Ordinal);
        foreach (var (name, lora) in Modules(root).ToList())
        {
            var host = HostOf(name, modulesByName)!;
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

            plain.train(root.training);
            host.ReplaceChild(ChildName(name), plain);
            lora.Dispose();
        }

        foreach (var p in root.parameters())
        {
            p.requires_grad = true;
        }
    }

    private static string ChildName(string moduleName) => moduleName[(moduleName.LastIndexOf('.') + 1)..];

    private static ILinearHost? HostOf(string moduleName, Dictionary<string, nn.Module> modulesByName)
    {
        int dot = moduleName.LastIndexOf('.');
        return dot > 0 && modulesByName.TryGetValue(moduleName[..dot], out var parent) ? parent as ILinearHost : null;
    }
}
