using Adrpo.Rewards;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Training;

/// <summary>Reads the prompt column of a trainer's input, with errors that name the column and the row.</summary>
internal static class PromptReader
{
    /// <summary>
    /// Distinct prompts in first-seen order, each with the other columns of its first row (which reach the rewards).
    /// </summary>
    /// <param name="input">The training data.</param>
    /// <param name="column">The prompt column.</param>
    /// <param name="sampleColumn">The generated sample's column (a data column of that name does not reach the rewards).</param>
    /// <exception cref="ArgumentException">The column is missing, not text, empty or holds an empty prompt.</exception>
    public static RewardDatasetColumns ReadRows(IDataView input, string column, string sampleColumn)
    {
        var rows = RewardDatasetColumns.Read(input, Find(input.Schema, column), sampleColumn, (position, prompt) =>
        {
            if (string.IsNullOrWhiteSpace(prompt))
            {
                throw new ArgumentException($"Row {position} of column '{column}' holds an empty prompt; every prompt must contain text.", nameof(input));
            }
        });
        if (rows.Prompts.Count == 0)
        {
            throw new ArgumentException($"The input data view has no rows: column '{column}' must hold at least one prompt.", nameof(input));
        }

        return rows;
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
