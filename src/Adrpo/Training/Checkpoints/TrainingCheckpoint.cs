using System.Globalization;
using System.Text.Json;
using Adrpo.Persistence;
using static TorchSharp.torch;

namespace Adrpo.Training.Checkpoints;

/// <summary>
/// A whole training state in one safetensors file: trainable weights, optimizer moments, the states of every random
/// generator, plus the iteration, settings fingerprint and metrics so far in <c>__metadata__</c>. One file, so one
/// atomic rename replaces the previous checkpoint: a crash while saving leaves the last good one untouched.
/// </summary>
internal sealed class TrainingCheckpoint : IDisposable
{
    /// <summary>Format marker stored under <c>adrpo.format</c>; bumped when the layout changes.</summary>
    public const string Format = "adrpo-training-checkpoint/1";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public TrainingCheckpoint(string trainer)
    {
        Metadata["adrpo.format"] = Format;
        Metadata["adrpo.trainer"] = trainer;
    }

    private TrainingCheckpoint(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file this checkpoint was loaded from (for messages); empty for a new one.</summary>
    public string Path { get; } = string.Empty;

    public Dictionary<string, Tensor> Tensors { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Loads and checks the format marker and the trainer kind, naming the file on any mismatch.</summary>
    public static TrainingCheckpoint Load(string path, string trainer)
    {
        var (tensors, metadata) = SafeTensorsFile.Load(path);
        var checkpoint = new TrainingCheckpoint(path, tensors, new Dictionary<string, string>(metadata, StringComparer.Ordinal));
        try
        {
            string format = checkpoint.Text("adrpo.format");
            if (format != Format)
            {
                throw checkpoint.Mismatch($"has format '{format}', expected '{Format}'");
            }

            string kind = checkpoint.Text("adrpo.trainer");
            if (kind != trainer)
            {
                throw checkpoint.Mismatch($"was written by the {kind} trainer, expected a {trainer} checkpoint");
            }

            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Writes atomically (temporary file in the same folder, then rename).</summary>
    public void Save(string path)
    {
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        SafeTensorsFile.Save(path, Tensors, Metadata);
    }

    public void SetInt(string key, long value) => Metadata[key] = value.ToString(CultureInfo.InvariantCulture);

    public void SetDouble(string key, double value) => Metadata[key] = value.ToString("R", CultureInfo.InvariantCulture);

    public void SetJson<T>(string key, T value) => Metadata[key] = JsonSerializer.Serialize(value, Json);

    public string Text(string key) =>
        Metadata.TryGetValue(key, out var value) ? value : throw Mismatch($"lacks the metadata entry '{key}'");

    public long Int(string key) =>
        long.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : throw Mismatch($"has a non-integer '{key}' ({Text(key)})");

    public double Double(string key) =>
        double.TryParse(Text(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw Mismatch($"has a non-numeric '{key}' ({Text(key)})");

    public T FromJson<T>(string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Text(key), Json) ?? throw Mismatch($"has an empty '{key}'");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Checkpoint '{Path}': metadata '{key}' is not valid JSON for {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>The tensor stored under <paramref name="name"/>, checked against the expected shape.</summary>
    public Tensor Tensor(string name, long[]? expectedShape = null)
    {
        if (!Tensors.TryGetValue(name, out var tensor))
        {
            throw Mismatch($"has no tensor '{name}'");
        }

        if (expectedShape is not null && !tensor.shape.SequenceEqual(expectedShape))
        {
            throw Mismatch($"stores '{name}' with shape [{string.Join(", ", tensor.shape)}], but the model being trained has [{string.Join(", ", expectedShape)}]");
        }

        return tensor;
    }

    /// <summary>Records the settings a resumed run must share with this one.</summary>
    public void SetFingerprint(IEnumerable<(string Key, string Value)> fingerprint)
    {
        foreach (var (key, value) in fingerprint)
        {
            Metadata[key] = value;
        }
    }

    /// <summary>Checks every recorded setting against this run's (see <see cref="RequireSame"/>).</summary>
    public void RequireFingerprint(IEnumerable<(string Key, string Value)> fingerprint)
    {
        foreach (var (key, value) in fingerprint)
        {
            RequireSame(key, value);
        }
    }

    /// <summary>Checks a settings value recorded at save time against this run's, naming both.</summary>
    public void RequireSame(string key, string current)
    {
        string saved = Text(key);
        if (saved != current)
        {
            throw Mismatch($"was written with {key} = {saved}, but this run has {key} = {current}; resume with the same settings, or set ResumeFromCheckpoint = false (or another CheckpointPath) to start over");
        }
    }

    public InvalidDataException Mismatch(string problem) => new($"Checkpoint '{Path}' {problem}.");

    public void Dispose()
    {
        foreach (var tensor in Tensors.Values)
        {
            tensor.Dispose();
        }

        Tensors.Clear();
    }
}
