using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Infrastructure;

/// <summary>Tensors and settings as JSON, the exchange format with the Python reference.</summary>
internal static class TensorJson
{
    public static void Write(string path, IReadOnlyDictionary<string, object> values)
    {
        using var stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        foreach (var (key, value) in values)
        {
            writer.WritePropertyName(key);
            switch (value)
            {
                case Tensor t:
                    writer.WriteStartObject();
                    writer.WriteStartArray("shape");
                    foreach (long d in t.shape)
                    {
                        writer.WriteNumberValue(d);
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("data");
                    foreach (double d in t.detach().to_type(ScalarType.Float64).cpu().data<double>())
                    {
                        writer.WriteNumberValue(d);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                    break;
                case double d:
                    writer.WriteNumberValue(d);
                    break;
                case int i:
                    writer.WriteNumberValue(i);
                    break;
                case string text:
                    writer.WriteStringValue(text);
                    break;
                default:
                    throw new ArgumentException($"Unsupported value for '{key}': {value.GetType()}");
            }
        }

        writer.WriteEndObject();
    }

    public static Dictionary<string, (long[] Shape, double[] Data)> Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var result = new Dictionary<string, (long[], double[])>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            long[] shape = property.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            double[] data = property.Value.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            result[property.Name] = (shape, data);
        }

        return result;
    }
}
