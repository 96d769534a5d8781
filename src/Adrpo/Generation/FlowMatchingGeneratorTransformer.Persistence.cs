using System.Text.Json;
using Adrpo.Persistence;
using Adrpo.Models.Dit;
using Adrpo.Text;

namespace Adrpo.Generation;

public sealed partial class FlowMatchingGeneratorTransformer
{
    /// <summary>File holding <see cref="Settings"/> next to the generator's <c>config.json</c> and <c>model.safetensors</c>.</summary>
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>
    /// Saves the generator (as safetensors + config.json) and the generation settings into <paramref name="folder"/>,
    /// each file through a temp file and a rename. LoRA adapters are first merged into the weights of this
    /// transformer's generator, so the saved model and the one in memory generate exactly the same samples.
    /// </summary>
    /// <exception cref="NotSupportedException">The generator is not a <see cref="DitVelocityModel"/>.</exception>
    public void Save(string folder)
    {
        if (Generator is not DitVelocityModel dit)
        {
            throw new NotSupportedException($"Saving supports the built-in DitVelocityModel; save your {Generator.GetType().Name} with its own method and the settings with {nameof(Settings)}.");
        }

        Directory.CreateDirectory(folder);
        AtomicFile.RequireFileDestinations(Path.Combine(folder, DitVelocityModel.WeightsFileName), Path.Combine(folder, DitVelocityModel.ConfigFileName), Path.Combine(folder, GenerationConfigFileName));
        if (dit.HasAdapters)
        {
            dit.MergeAdapters();
            dit.SetTraining(false);
        }

        dit.Save(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, GenerationConfigFileName), JsonSerializer.Serialize(Settings, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Loads a generator saved by <see cref="Save(string)"/>. Settings missing from the file take their defaults
    /// (a file written before <see cref="GenerationSettings.SamplesPerPrompt"/> existed loads with one sample per prompt).
    /// </summary>
    /// <param name="folder">The folder.</param>
    /// <param name="textEncoder">The prompt encoder the generator was trained with (e.g. <see cref="MiniLmTextEncoder"/>).</param>
    public static FlowMatchingGeneratorTransformer Load(string folder, ITextEncoder textEncoder)
    {
        ArgumentNullException.ThrowIfNull(textEncoder);
        string path = Path.Combine(folder, GenerationConfigFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"'{path}' does not exist; a saved generator folder holds {GenerationConfigFileName}, {DitVelocityModel.ConfigFileName} and {DitVelocityModel.WeightsFileName}.", path);
        }

        GenerationSettings settings;
        try
        {
            settings = JsonSerializer.Deserialize<GenerationSettings>(File.ReadAllText(path)) ?? throw new InvalidDataException($"'{path}' is empty.");
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

        var model = DitVelocityModel.Load(folder);
        if (model.ConditionDimension != textEncoder.Dimension)
        {
            throw new ArgumentException($"The generator in '{folder}' expects {model.ConditionDimension}-d conditions, but the text encoder produces {textEncoder.Dimension}-d embeddings.", nameof(textEncoder));
        }

        return new FlowMatchingGeneratorTransformer(model, textEncoder, settings);
    }
}
