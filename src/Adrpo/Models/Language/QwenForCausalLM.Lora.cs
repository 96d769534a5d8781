using Adrpo.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <content>LoRA: adding, toggling (<see cref="AdaptersEnabled"/>) and merging adapters on the projections.</content>
public sealed partial class QwenForCausalLM
{
    private bool _adaptersEnabled = true;
    private IReadOnlyList<string> _loraTargets = Array.Empty<string>();

    /// <summary>
    /// The default LoRA targets: every projection of every decoder layer (attention <c>q_proj</c>, <c>k_proj</c>,
    /// <c>v_proj</c>, <c>o_proj</c>; MLP <c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>), what PEFT's
    /// <c>"all-linear"</c> selects in a causal LM (the output head is never adapted).
    /// </summary>
    public static IReadOnlyList<string> DefaultLoraTargets { get; } = new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" };

    /// <summary>True once <see cref="AddLoraAdapters"/> or <see cref="LoadAdapter"/> has added adapters (until <see cref="MergeAdapters"/>).</summary>
    public bool HasAdapters => LoraInjection.Modules(this).Any();

    /// <summary>
    /// With adapters: true (default) computes <c>W x + (alpha / r) B A x</c>; false computes the frozen base model
    /// exactly (bit for bit), which is how the trainer gets the reference policy without a second copy.
    /// </summary>
    public bool AdaptersEnabled
    {
        get => _adaptersEnabled;
        set
        {
            _adaptersEnabled = value;
            foreach (var (_, lora) in LoraInjection.Modules(this))
            {
                lora.AdaptersEnabled = value;
            }
        }
    }

    /// <summary>The target names the adapters were added with (as written to <c>adapter_config.json</c>); empty without adapters.</summary>
    internal IReadOnlyList<string> LoraTargets => HasAdapters ? _loraTargets : Array.Empty<string>();

    /// <summary>The CPU generator of the adapters' dropout masks; null without adapters or with dropout 0.</summary>
    internal Generator? LoraDropoutRandom { get; private set; }

    /// <summary>
    /// Wraps the projections named by <paramref name="targetModules"/> in LoRA adapters (PEFT's layout: the frozen
    /// <c>base_layer</c>, <c>lora_A</c> [r, in] drawn Kaiming-uniform from <paramref name="generator"/>, <c>lora_B</c>
    /// [out, r] zero, so the output is unchanged until training) and freezes every other weight. Nothing changes when
    /// an argument is invalid.
    /// </summary>
    /// <param name="rank">Adapter rank r, in [1, min(in, out)] of every target.</param>
    /// <param name="alpha">LoRA alpha, positive; the update is scaled by alpha / r.</param>
    /// <param name="targetModules">Module names as in PEFT's <c>target_modules</c> list: a projection is adapted when
    /// its name (e.g. <c>model.layers.0.self_attn.q_proj</c>) equals an entry or ends with "." + it. Null means
    /// <see cref="DefaultLoraTargets"/>.</param>
    /// <param name="dropout">Dropout probability on the adapters' input in training mode, in [0, 1).</param>
    /// <param name="generator">Seeded generator for lora_A (and the seed of the dropout masks); a fresh one seeded 0 when null.</param>
    /// <exception cref="ArgumentException">A target matches no projection.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Rank, alpha or dropout is out of range.</exception>
    /// <exception cref="InvalidOperationException">The model already has adapters (merge them first).</exception>
    public void AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targetModules = null, double dropout = 0, Generator? generator = null)
    {
        if (HasAdapters)
        {
            throw new InvalidOperationException("The model already has LoRA adapters; call MergeAdapters() before adding new ones.");
        }

        var targets = (targetModules ?? DefaultLoraTargets).ToList();
        var names = LoraInjection.Select(this, targets, DefaultLoraTargets, nameof(targetModules));
        generator ??= new Generator(0);
        Generator? dropoutRandom = null;
        if (dropout > 0 && dropout < 1)
        {
            // Seeded from a copy of the init stream, so the adapters themselves do not depend on the dropout setting.
            using var fork = new Generator(0);
            fork.set_state(generator.get_state());
            dropoutRandom = new Generator((ulong)randint(0, int.MaxValue, new long[] { 1 }, generator: fork).item<long>());
        }

        LoraInjection.Add(this, names, rank, alpha, dropout, generator, dropoutRandom, _adaptersEnabled);
        _loraTargets = targets;
        LoraDropoutRandom = dropoutRandom;
    }

    /// <inheritdoc/>
    void ILoraAdaptable.AddLoraAdapters(int rank, double alpha, IReadOnlyCollection<string>? targets, Generator generator) =>
        AddLoraAdapters(rank, alpha, targets, dropout: 0, generator);

    /// <summary>
    /// Folds every adapter into its base weight (<c>W + (alpha / r) B A</c>) and removes the adapters, leaving plain
    /// projections with the Hugging Face names, all trainable again; <see cref="SavePretrained"/> then writes an
    /// ordinary checkpoint folder. No-op without adapters.
    /// </summary>
    public void MergeAdapters()
    {
        LoraInjection.Remove(this, merge: true);
        LoraDropoutRandom = null;
        _loraTargets = Array.Empty<string>();
    }

    /// <summary>Removes the adapters and keeps the base weights untouched (undoes a failed load).</summary>
    internal void DiscardAdapters()
    {
        LoraInjection.Remove(this, merge: false);
        LoraDropoutRandom = null;
        _loraTargets = Array.Empty<string>();
    }

    /// <summary>The parameters an optimizer should update: lora_A / lora_B with adapters, every parameter without.</summary>
    internal IReadOnlyList<(string Name, Parameter Parameter)> TrainableParameters() =>
        HasAdapters ? named_parameters().Where(p => p.parameter.requires_grad).ToList() : named_parameters().ToList();

    /// <summary>The adapters with their module names (Hugging Face names, e.g. <c>model.layers.0.mlp.up_proj</c>).</summary>
    internal IReadOnlyList<(string Name, LoraLinear Lora)> LoraModules() => LoraInjection.Modules(this).ToList();

    /// <summary>
    /// The weights under their Hugging Face keys: <c>state_dict()</c> without adapters; with adapters, each adapted
    /// projection's merged weight <c>W + (alpha / r) B A</c> as <c>{module}.weight</c> (and its bias as
    /// <c>{module}.bias</c>). Tensors this method creates are returned in <paramref name="created"/> for disposal.
    /// </summary>
    internal Dictionary<string, Tensor> HuggingFaceStateDict(List<Tensor> created)
    {
        var loras = LoraModules();
        var state = state_dict().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        foreach (var (name, lora) in loras)
        {
            state.Remove(name + ".lora_A.weight");
            state.Remove(name + ".lora_B.weight");
            state.Remove(name + ".base_layer.weight");
            var merged = lora.MergedWeight();
            created.Add(merged);
            state[name + ".weight"] = merged;
            if (state.Remove(name + ".base_layer.bias", out var bias))
            {
                state[name + ".bias"] = bias;
            }
        }

        return state;
    }
}
