using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// The training data's other columns (all but the prompt column and the generated sample's column), one row per
/// distinct prompt, in the order the prompts were first seen: the first row of a prompt that repeats gives its values.
/// They reach function rewards through <see cref="RewardSample"/> and transformer rewards as extra input columns.
/// </summary>
internal sealed class RewardDatasetColumns
{
    private readonly RewardColumnData[] _data;
    private readonly Dictionary<string, int> _promptIndex;

    private RewardDatasetColumns(string[] names, DataViewType[] types, RewardColumnData[] data, IReadOnlyList<string> prompts, string? repeatedWarning = null)
    {
        RepeatedPromptWarning = repeatedWarning;
        Names = names;
        Types = types;
        _data = data;
        Prompts = prompts;
        _promptIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < prompts.Count; i++)
        {
            _promptIndex.TryAdd(prompts[i], i);
        }
    }

    /// <summary>No dataset columns (a scorer used on its own, outside a trainer).</summary>
    public static RewardDatasetColumns None { get; } = new(Array.Empty<string>(), Array.Empty<DataViewType>(), Array.Empty<RewardColumnData>(), Array.Empty<string>());

    /// <summary>Column names, in the data's order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Column types, in the same order.</summary>
    public IReadOnlyList<DataViewType> Types { get; }

    /// <summary>The distinct prompts, first-seen order; row i holds prompt i's columns.</summary>
    public IReadOnlyList<string> Prompts { get; }

    /// <summary>A warning when some prompt repeats in rows whose other columns differ (only its first row reaches the
    /// rewards); null otherwise.</summary>
    public string? RepeatedPromptWarning { get; }

    /// <summary>Index of a column, or -1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The columns for messages: "'Answer' (String), 'Id' (Int32)".</summary>
    public string Describe() => Names.Count == 0
        ? "none besides the prompt and the generated sample"
        : string.Join(", ", Names.Select((n, i) => $"'{n}' ({Types[i]})"));

    /// <summary>The C# type a column is read as (<see cref="RewardSample.Column{T}"/>).</summary>
    public static Type ClrType(DataViewType type) => type switch
    {
        TextDataViewType => typeof(string),
        VectorDataViewType vector => ClrType(vector.ItemType).MakeArrayType(),
        _ => type.RawType,
    };

    /// <summary>Index of a prompt's row.</summary>
    /// <exception cref="InvalidOperationException">There are dataset columns but the prompt is not a training prompt.</exception>
    public int RowOf(string prompt)
    {
        if (Names.Count == 0)
        {
            return -1;
        }

        return _promptIndex.TryGetValue(prompt, out int row)
            ? row
            : throw new InvalidOperationException($"Prompt '{prompt}' is not one of the training prompts, so its dataset columns ({Describe()}) are unknown.");
    }

    /// <summary>A row as a function reward reads it.</summary>
    public RewardDatasetRow Row(int row) => new(this, row);

    /// <summary>The stored value of column <paramref name="column"/> in row <paramref name="row"/>, as a plain C# value.</summary>
    public object? Friendly(int column, int row) => _data[column].Friendly(row);

    /// <summary>The storage of a column, for a reward view.</summary>
    public RewardColumnData Data(int column) => _data[column];

    /// <summary>
    /// Reads the distinct prompts of <paramref name="input"/> and, for each, the other columns of its first row.
    /// </summary>
    /// <param name="input">The training data.</param>
    /// <param name="promptColumn">The prompt column (checked: it exists and is text).</param>
    /// <param name="sampleColumn">The generated sample's column; a data column of that name is left out, since the
    /// generated sample takes its place in the reward's input.</param>
    /// <param name="checkPrompt">Checks one prompt (row position, prompt), throwing for a bad one.</param>
    public static RewardDatasetColumns Read(IDataView input, DataViewSchema.Column promptColumn, string sampleColumn, Action<long, string> checkPrompt)
    {
        var columns = input.Schema
            .Where(c => !c.IsHidden && c.Index != promptColumn.Index && c.Name != promptColumn.Name && c.Name != sampleColumn)
            .ToArray();
        var data = columns.Select(c => RewardColumnData.For(c.Type)).ToArray();
        var prompts = new List<string>();
        using var cursor = input.GetRowCursor(columns.Append(promptColumn));
        var promptGetter = cursor.GetGetter<ReadOnlyMemory<char>>(promptColumn);
        for (int i = 0; i < columns.Length; i++)
        {
            data[i].Bind(cursor, columns[i]);
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var differing = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);   // prompt -> columns that differ
        ReadOnlyMemory<char> value = default;
        while (cursor.MoveNext())
        {
            promptGetter(ref value);
            string prompt = value.ToString();
            checkPrompt(cursor.Position, prompt);
            if (index.TryGetValue(prompt, out int first))
            {
                // The first row of a repeated prompt gives its columns; note the columns where a later row differs.
                for (int i = 0; i < columns.Length; i++)
                {
                    if (!data[i].CurrentEquals(first))
                    {
                        (differing.TryGetValue(prompt, out var names) ? names : differing[prompt] = new HashSet<string>(StringComparer.Ordinal)).Add(columns[i].Name);
                    }
                }

                continue;
            }

            index.Add(prompt, prompts.Count);
            prompts.Add(prompt);
            foreach (var column in data)
            {
                column.AppendCurrent();
            }
        }

        string? warning = differing.Count == 0 ? null
            : $"{differing.Count} prompt(s) repeat in rows whose other columns differ (e.g. '{differing.First().Key}' in column(s) " +
              $"{string.Join(", ", differing.First().Value.Select(c => $"'{c}'"))}); the trainers train on distinct prompts, so the rewards see " +
              "each prompt's first row only. Merge such rows (e.g. several accepted answers in one column) if the rewards need them all.";
        return new RewardDatasetColumns(columns.Select(c => c.Name).ToArray(), columns.Select(c => c.Type).ToArray(), data, prompts, warning);
    }
}
