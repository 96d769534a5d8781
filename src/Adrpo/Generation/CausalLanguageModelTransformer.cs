using Adrpo.Native;
using System.Text.Json;
using Adrpo.Persistence;
using Adrpo.Models.Language;
using Adrpo.Text.Tokenization;
using Adrpo.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Generation;

/// <summary>
/// A (fine-tuned) causal LM as an ML.NET transformer: <see cref="Transform"/> adds a String column with one
/// completion per row, generated lazily in batches as rows are read (KV cache, no autograd).
/// </summary>
public sealed class CausalLanguageModelTransformer : ITransformer
{
    /// <summary>File holding <see cref="Settings"/> next to config.json, model.safetensors and tokenizer.json.</summary>
    public const string SettingsFileName = "adrpo_generation.json";

    /// <summary>Wraps a model and its tokenizer.</summary>
    /// <remarks>Generation runs on the model's device (<see cref="QwenForCausalLM.Device"/> at each call): move the model to
    /// move generation. A transformer returned by <c>AdrpoGrpoTrainer.Fit</c> runs on the device its MLContext selected (it moves
    /// the model back there if it was moved since).</remarks>
    public CausalLanguageModelTransformer(QwenForCausalLM model, HuggingFaceTokenizer tokenizer, LanguageGenerationSettings settings)
        : this(model, tokenizer, settings, null)
    {
    }

    /// <summary>The trainer's constructor: <paramref name="device"/> is the device the trainer chose (null: the model's).</summary>
    internal CausalLanguageModelTransformer(QwenForCausalLM model, HuggingFaceTokenizer tokenizer, LanguageGenerationSettings settings, Device? device)
    {
        _device = device;
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        TorchRuntime.EnsureAvailable();
        settings.Validate();
    }

    private readonly Device? _device;

    /// <summary>The language model.</summary>
    public QwenForCausalLM Model { get; }

    /// <summary>Its tokenizer.</summary>
    public HuggingFaceTokenizer Tokenizer { get; }

    /// <summary>Generation settings.</summary>
    public LanguageGenerationSettings Settings { get; }

    /// <summary>False: completions are generated in batches.</summary>
    public bool IsRowToRowMapper => false;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PromptReader.Find(inputSchema, Settings.PromptColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(Settings.OutputColumnName, TextDataViewType.Instance);
        return builder.ToSchema();
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchGeneratedDataView<string, ReadOnlyMemory<char>>(input, GetOutputSchema(input.Schema), Settings.PromptColumnName, Settings.BatchSize, Generate, (text, _) => text.AsMemory());
    }

    /// <summary>Not supported: completions are generated in batches.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{nameof(CausalLanguageModelTransformer)} generates in batches and is not a row-to-row mapper; use Transform.");

    /// <summary>Not supported: ML.NET's model zip is closed to third-party transformers. Use <see cref="Save(string)"/> and <see cref="Load"/>.</summary>
    /// <remarks>Removes the model file ML.NET has already created, so no partial zip is left (see <see cref="ModelZipRefusal"/>).</remarks>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw ModelZipRefusal.Refuse(ctx, nameof(CausalLanguageModelTransformer), $"{nameof(CausalLanguageModelTransformer)}.{nameof(Save)}(folder) (a Hugging Face folder) and {nameof(CausalLanguageModelTransformer)}.{nameof(Load)}(folder)");

    /// <summary>Generates one completion per prompt; <paramref name="firstRow"/> seeds the batch's sampler.</summary>
    public string[] Generate(IReadOnlyList<string> prompts, long firstRow = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            return Array.Empty<string>();
        }

        using var threads = ComputeThreadScope.Enter(Settings.ComputeThreads);
        using var scope = NewDisposeScope();
        if (_device is not null)
        {
            new TrainingDevice(_device).Place(Model);   // the trainer's choice holds even if the model was moved since
        }

        Model.eval();
        var encoder = new LanguagePromptEncoder(Tokenizer, Settings.UseChatTemplate, Settings.EnableThinking, Settings.ResolvedMaxPromptTokens(Model.Config.MaxPositionEmbeddings));
        var (ids, mask) = encoder.Encode(prompts);
        var eos = new List<long>(Model.Config.EosTokenId ?? Array.Empty<long>());
        foreach (int? extra in new[] { Tokenizer.EosTokenId, Settings.UseChatTemplate ? Tokenizer.TokenToId("<|im_end|>") : null })
        {
            if (extra is int id && !eos.Contains(id))
            {
                eos.Add(id);
            }
        }

        var generator = new QwenGenerator(Model, unchecked(((ulong)(uint)Settings.Seed * 1_000_003UL) + (ulong)firstRow));
        using var result = generator.Generate(ids.to(Model.Device), mask.to(Model.Device), new QwenGenerationOptions
        {
            MaxNewTokens = Settings.MaxNewTokens,
            Temperature = Settings.Temperature,
            TopK = Settings.TopK,
            TopP = Settings.TopP,
            EosTokenIds = eos,
            PadTokenId = encoder.PadId,
        });
        return encoder.DecodeCompletions(result.Tokens, result.CompletionMask);
    }

    /// <summary>Saves a Hugging Face-style folder: config.json, model.safetensors, tokenizer files and the generation settings.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.RequireFileDestinations(new[] { QwenCheckpoint.ConfigFile, QwenCheckpoint.WeightsFile, HuggingFaceTokenizer.TokenizerFileName, HuggingFaceTokenizer.ConfigFileName, HuggingFaceTokenizer.ChatTemplateFileName, SettingsFileName }
            .Select(name => Path.Combine(folder, name)).ToArray());
        Model.SavePretrained(folder);
        Tokenizer.Save(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, SettingsFileName), JsonSerializer.Serialize(Settings, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Loads a folder written by <see cref="Save(string)"/> (or any Hugging Face Qwen folder; settings then default).</summary>
    public static CausalLanguageModelTransformer Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string path = Path.Combine(folder, SettingsFileName);
        LanguageGenerationSettings settings = new();
        if (File.Exists(path))
        {
            try
            {
                settings = JsonSerializer.Deserialize<LanguageGenerationSettings>(File.ReadAllText(path)) ?? settings;
                settings.Validate();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"'{path}' is not valid generation settings JSON: {e.Message}", e);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{path}' holds invalid generation settings: {e.Message}", e);
            }
        }

        var model = QwenForCausalLM.FromPretrained(folder);
        var tokenizer = HuggingFaceTokenizer.FromPretrained(folder);
        return new CausalLanguageModelTransformer(model, tokenizer, settings);
    }
}
