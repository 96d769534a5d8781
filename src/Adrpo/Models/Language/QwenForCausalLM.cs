using Adrpo.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Language;

/// <summary>
/// A Qwen2/Qwen3 causal language model, or one of the Llama family that shares its layout (<c>LlamaForCausalLM</c>:
/// Llama 2/3.x with "llama3" RoPE scaling, SmolLM2; <c>MistralForCausalLM</c> without a binding sliding window): the decoder stack (<c>model</c>) and the output projection
/// (<c>lm_head</c>), so that <c>state_dict()</c> keys equal the Hugging Face checkpoint keys. With
/// <c>tie_word_embeddings</c> the output projection is the embedding matrix itself: there is no separate
/// <c>lm_head</c> parameter (and no <c>lm_head.weight</c> key), exactly one tensor to train.
/// </summary>
public sealed partial class QwenForCausalLM : nn.Module, ILoraAdaptable
{
#pragma warning disable IDE1006, SA1300 // Hugging Face key names
    private readonly QwenModel model;
    private readonly Linear? lm_head;
#pragma warning restore IDE1006, SA1300

    /// <summary>Creates a model with weights drawn from <paramref name="generator"/> (normal, std
    /// <paramref name="initStd"/>; norms one, biases zero), as Hugging Face initialises a fresh model.</summary>
    /// <param name="config">The architecture; validated here.</param>
    /// <param name="generator">Seeded generator for the weights (a fresh one seeded 0 when null); the global RNG is
    /// advanced by TorchSharp's layer constructors but never reseeded.</param>
    /// <param name="dtype">Parameter dtype.</param>
    /// <param name="device">Parameter device (CPU when null).</param>
    /// <param name="initStd">Standard deviation of the weights (Hugging Face: initializer_range = 0.02).</param>
    public QwenForCausalLM(QwenConfig config, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null, double initStd = 0.02)
        : this(config, dtype, device)
    {
        InitializeWeights(generator ?? new Generator(0), initStd);
    }

    private QwenForCausalLM(QwenConfig config, ScalarType dtype, Device? device) : base(TorchRuntime.Checked(nameof(QwenForCausalLM)))
    {
        ArgumentNullException.ThrowIfNull(config);
        model = new QwenModel(config, dtype, device);
        if (!config.TieWordEmbeddings)
        {
            lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false, device: device, dtype: dtype);
        }

        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public QwenConfig Config => model.Config;

    /// <summary>The decoder stack (<c>model</c>).</summary>
    internal QwenModel Model => model;

    /// <summary>The output projection [vocab, hidden]: <c>lm_head.weight</c>, or the embedding matrix when tied.</summary>
    public Parameter OutputWeight => lm_head?.weight ?? model.EmbeddingWeight;

    /// <summary>Dtype of the parameters.</summary>
    public ScalarType DType => model.EmbeddingWeight.dtype;

    /// <summary>Device of the parameters.</summary>
    public Device Device => model.EmbeddingWeight.device;

    /// <summary>Next-token logits for every position.</summary>
    /// <param name="inputIds">[batch, tokens] int64 token ids.</param>
    /// <param name="attentionMask">[batch, cached + tokens]; nonzero marks real tokens, 0 padding; null means none.</param>
    /// <param name="positionIds">[batch, tokens] int64; null derives them from the mask (left padding safe).</param>
    /// <param name="cache">Optional key/value cache of earlier tokens; extended by this call.</param>
    /// <returns>[batch, tokens, vocab] logits in the model's dtype.</returns>
    internal Tensor forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null) =>
        Forward(inputIds, attentionMask, positionIds, cache, checkValues: true);

    /// <summary><see cref="forward"/>; with <paramref name="checkValues"/> false the ids are not range-checked (see
    /// <see cref="QwenModel.Forward"/>), for the trainer's own sequences.</summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, bool checkValues)
    {
        using var scope = NewDisposeScope();
        var hidden = model.Forward(inputIds, attentionMask, positionIds, cache, checkValues); // [B, T, hidden]
        return ComputeLogits(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Applies the output head to hidden states [..., hidden] (for example only the last position's).</summary>
    /// <returns>[..., vocab] logits.</returns>
    public Tensor ComputeLogits(Tensor hidden) =>
        lm_head is not null ? lm_head.forward(hidden) : nn.functional.linear(hidden, model.EmbeddingWeight);

    /// <summary>A cache sized for this model's layers.</summary>
    internal KeyValueCache NewCache() => new(Config.NumHiddenLayers);

    /// <summary>Loads a Hugging Face checkpoint folder (<c>config.json</c> and <c>model.safetensors</c>, or
    /// <c>model.safetensors.index.json</c> with its shards) with strict key and shape checks.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <param name="dtype">Parameter dtype; null keeps float32 (the checkpoint's tensors are converted).</param>
    /// <param name="device">Parameter device; CPU when null.</param>
    /// <exception cref="FileNotFoundException">The folder, config.json or a weight file is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">A key is missing, unexpected or has the wrong shape (the message names the key, file and shapes).</exception>
    public static QwenForCausalLM FromPretrained(string folder, ScalarType? dtype = null, Device? device = null)
    {
        TorchRuntime.EnsureAvailable();
        var config = QwenCheckpoint.ReadConfig(folder);
        var plan = QwenCheckpoint.MakePlan(folder, config);
        var lm = new QwenForCausalLM(config, dtype ?? ScalarType.Float32, device);
        QwenCheckpoint.Load(lm, plan);
        return lm;
    }

    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c> (Hugging Face keys; no <c>lm_head.weight</c> when
    /// tied), each atomically through a temporary file; creates the folder if needed. A model with LoRA adapters is
    /// written with the adapters merged into the weights (the model in memory keeps them); <see cref="SaveAdapter"/>
    /// writes the adapters alone.</summary>
    public void SavePretrained(string folder) => QwenCheckpoint.Save(this, folder);

    /// <summary>Re-draws every weight: normal(0, <paramref name="std"/>) for projections and embeddings, ones for
    /// norms, zeros for biases. Values are drawn on the CPU in float32, so a seed gives the same model on every device.</summary>
    public void InitializeWeights(Generator generator, double std = 0.02)
    {
        ArgumentNullException.ThrowIfNull(generator);
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            // One scope per parameter: each draw and its product go before the next parameter's. One scope for the whole
            // model kept two model-sized temporaries alive (4.8 GB at Qwen3-0.6B's shape), which set the process's peak.
            using var scope = NewDisposeScope();
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
            {
                p.fill_(1);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                p.zero_();
            }
            else
            {
                p.copy_(randn(p.shape, dtype: ScalarType.Float32, generator: generator) * std);
            }
        }
    }
}
