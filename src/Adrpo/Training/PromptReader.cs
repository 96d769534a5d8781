using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Training;

/// <summary>Reads the prompt column of a trainer's input, with errors that name the column and the row.</summary>
internal static class PromptReader
{
    /// <summary>Distinct prompts in first-seen order.</summary>
    /// <exception cref="ArgumentException">The column is missing, not text, empty or holds an empty prompt.</exception>
    public static IReadOnlyList<string> ReadDistinct(IDataView input, string column)
    {
        var all = ReadAll(input, column);
        if (all.Count == 0)
        {
            throw new ArgumentException($"The input data view has no rows: column '{column}' must hold at least one prompt.", nameof(input));
        }

        return all.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every row's prompt, in order.</summary>
    public static List<string> ReadAll(IDataView input, string column)
    {
        var schemaColumn = Find(input.Schema, column);
        var prompts = new List<string>();
        using var cursor = input.GetRowCursor(new[] { schemaColumn });
        var getter = cursor.GetGetter<ReadOnlyMemory<char>>(schemaColumn);
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            string prompt = value.ToString();
            if (string.IsNullOrWhiteSpace(prompt))
            {
                throw new ArgumentException($"Row {cursor.Position} of column '{column}' holds an empty prompt; every prompt must contain text.", nameof(input));
            }

            prompts.Add(prompt);
        }

        return prompts;
    }

    public static DataViewSchema.Column Find(DataViewSchema schema, string column)
    {
        var found = schema.GetColumnOrNull(column);
        if (found is null)
        {
            string available = string.Join(", ", schema.Select(c => $"'{c.Name}' ({c.Type})"));
            throw new ArgumentException($"Prompt column '{column}' was not found in the input; it has {available}. Set Options.PromptColumnName.", nameof(column));
        }

        if (found.Value.Type is not TextDataViewType)
        {
            throw new ArgumentException($"Prompt column '{column}' is {found.Value.Type}; expected String (TextDataViewType).", nameof(column));
        }

        return found.Value;
    }
}
