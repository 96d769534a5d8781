using Adrpo.Native;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Adrpo.Persistence;

/// <summary>
/// Reads and writes the safetensors format (8-byte little-endian header length, a JSON header of
/// <c>name -&gt; {dtype, shape, data_offsets}</c> plus optional <c>__metadata__</c>, then the raw data), the weight
/// format of Hugging Face checkpoints. Loading validates the header length, every offset and every size against
/// the file length before allocating anything, so a truncated or hostile file fails with a clear error instead of
/// allocating unbounded memory or reading out of range. Writing goes to a temporary file that is renamed at the
/// end, so a failed or interrupted save never leaves a half-written file behind.
/// </summary>
internal static class SafeTensorsFile
{
    /// <summary>Largest JSON header accepted by default (100 MB, the limit of the reference implementation).</summary>
    public const long DefaultMaxHeaderBytes = 100_000_000;

    /// <summary>Reads the metadata and tensor descriptions without reading any tensor data.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="maxHeaderBytes">Upper bound for the JSON header.</param>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors; the message names the file.</exception>
    public static SafeTensorsHeader ReadHeader(string path, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        using var stream = OpenRead(path);
        return ReadHeader(stream, path, maxHeaderBytes);
    }

    /// <summary>Loads every tensor (on the CPU) with the file's metadata.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="maxHeaderBytes">Upper bound for the JSON header.</param>
    /// <exception cref="InvalidDataException">The file is not well-formed safetensors; the message names the file and tensor.</exception>
    public static (Dictionary<string, Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Load(string path, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        TorchRuntime.EnsureAvailable();
        using var stream = OpenRead(path);
        var header = ReadHeader(stream, path, maxHeaderBytes);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Tensors)
            {
                var buffer = new byte[entry.ByteLength];
                stream.Seek(header.DataStart + entry.Begin, SeekOrigin.Begin);
                stream.ReadExactly(buffer);
                var tensor = empty(entry.Shape, dtype: entry.DType);
                if (buffer.Length > 0)
                {
                    tensor.bytes = buffer;
                }

                tensors.Add(entry.Name, tensor);
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
            {
                t.Dispose();
            }

            throw;
        }

        return (tensors, header.Metadata);
    }

    /// <summary>
    /// Saves tensors (copied to the CPU, contiguous) atomically: a temporary file in the same folder is written,
    /// flushed and renamed over <paramref name="path"/>.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">Named tensors; names must be non-empty and must not be <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot save '{full}': folder '{folder}' does not exist.");
        }

        AtomicFile.RequireFileDestinations(full);

        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var blobs = new List<byte[]>(names.Count);
        using var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (string name in names)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__")
                {
                    throw new ArgumentException($"Tensor name '{name}' is not allowed in safetensors; expected a non-empty name other than '__metadata__' (nothing was written).", nameof(tensors));
                }

                var tensor = tensors[name];
                if (tensor is null || tensor.IsInvalid)
                {
                    throw new ArgumentException($"Tensor '{name}' is null or disposed.", nameof(tensors));
                }

                string dtype = SafeTensorsDType.NameOf(tensor.dtype);
                using var cpu = tensor.detach().cpu().contiguous();
                byte[] bytes = cpu.bytes.ToArray();
                blobs.Add(bytes);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape)
                {
                    json.WriteNumberValue(d);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes.Length;
            }

            json.WriteEndObject();
        }

        // Pad the header with spaces to a multiple of 8 so the data that follows is aligned.
        int padding = (int)((8 - (header.Length % 8)) % 8);
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + padding));
                file.Write(length);
                header.Position = 0;
                header.CopyTo(file);
                for (int i = 0; i < padding; i++)
                {
                    file.WriteByte((byte)' ');
                }

                foreach (byte[] blob in blobs)
                {
                    file.Write(blob);
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static SafeTensorsHeader ReadHeader(FileStream stream, string path, long maxHeaderBytes)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Corrupt(path, $"it has {fileLength} bytes; a safetensors file starts with an 8-byte header length");
        }

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)Math.Min(maxHeaderBytes, fileLength - 8))
        {
            throw Corrupt(path, $"its header claims {headerLength} bytes, but the file has {fileLength - 8} bytes after the length prefix (limit {maxHeaderBytes})");
        }

        var json = new byte[headerLength];
        stream.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Corrupt(path, $"its header is not valid JSON ({e.Message})");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Corrupt(path, "its header is not a JSON object");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    ReadMetadata(property.Value, metadata, path);
                    continue;
                }

                entries.Add(ReadEntry(property, dataLength, path));
            }

            CheckNoOverlap(entries, path);
            return new SafeTensorsHeader(entries, metadata, dataStart);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Corrupt(path, "'__metadata__' is not an object of strings");
        }

        foreach (var item in element.EnumerateObject())
        {
            metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw Corrupt(path, $"metadata value '{item.Name}' is not a string");
        }
    }

    private static SafeTensorsEntry ReadEntry(JsonProperty property, long dataLength, string path)
    {
        string name = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw Corrupt(path, $"tensor '{name}' needs 'dtype' (string), 'shape' (array) and 'data_offsets' ([begin, end])");
        }

        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDType.TryParse(dtypeName, out var dtype, out int elementSize))
        {
            throw Corrupt(path, $"tensor '{name}' has dtype '{dtypeName}'; supported: {SafeTensorsDType.Supported}");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        long elements = 1;
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long size) || size < 0)
            {
                throw Corrupt(path, $"tensor '{name}' has an invalid dimension in its shape");
            }

            shape[i++] = size;
            elements = size == 0 || elements == 0 ? 0 : (elements > long.MaxValue / size ? throw Corrupt(path, $"tensor '{name}' has a shape too large to address") : elements * size);
        }

        long[] offsets = offsetsElement.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out long x) ? x : -1).ToArray();
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin || end > dataLength)
        {
            throw Corrupt(path, $"tensor '{name}' has data_offsets [{begin}, {end}] outside the {dataLength} data bytes; expected 0 <= begin <= end <= {dataLength} (is the file truncated?)");
        }

        if (elements > long.MaxValue / elementSize || end - begin != elements * elementSize)
        {
            throw Corrupt(path, $"tensor '{name}' ({dtypeName}, shape [{string.Join(", ", shape)}]) needs {elements * (long)elementSize} bytes but its offsets cover {end - begin}");
        }

        if (end - begin > Array.MaxLength)
        {
            throw Corrupt(path, $"tensor '{name}' is {end - begin} bytes, larger than one .NET array can hold");
        }

        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckNoOverlap(List<SafeTensorsEntry> entries, string path)
    {
        var sorted = entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Begin < sorted[i - 1].End)
            {
                throw Corrupt(path, $"tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data section");
            }
        }
    }

    private static InvalidDataException Corrupt(string path, string why) =>
        new($"'{path}' is not a valid safetensors file: {why}.");
}
