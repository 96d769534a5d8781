using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adrpo.Models.Language;

/// <summary>Reads a token id field that Hugging Face writes either as one number or as a list of numbers.</summary>
internal sealed class TokenIdListConverter : JsonConverter<IReadOnlyList<long>?>
{
    public override IReadOnlyList<long>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                return new[] { reader.GetInt64() };
            case JsonTokenType.StartArray:
                var ids = new List<long>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number)
                    {
                        throw new JsonException("eos_token_id must be an integer or a list of integers.");
                    }

                    ids.Add(reader.GetInt64());
                }

                return ids;
            default:
                throw new JsonException("eos_token_id must be an integer or a list of integers.");
        }
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<long>? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (value.Count == 1)
        {
            writer.WriteNumberValue(value[0]);
        }
        else
        {
            writer.WriteStartArray();
            foreach (long id in value)
            {
                writer.WriteNumberValue(id);
            }

            writer.WriteEndArray();
        }
    }
}
