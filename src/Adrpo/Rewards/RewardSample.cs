using System.Globalization;

namespace Adrpo.Rewards;

/// <summary>
/// What a function reward sees of one generated sample: the prompt, the generated completion (language models) or image
/// (text-to-image), and the other columns of the training row the prompt came from, e.g. a ground-truth
/// <c>Answer</c>: <c>s =&gt; s.Completion.Trim() == s["Answer"] ? 1f : 0f</c>.
/// </summary>
/// <remarks>
/// Column values are plain C# values: text as <see cref="string"/>, numbers as their type (<see cref="float"/>,
/// <see cref="double"/>, <see cref="int"/>, <see cref="long"/>, <see cref="bool"/>, ...), vectors as arrays
/// (<c>float[]</c>, <c>string[]</c>, ...). The trainers train on distinct prompts; when a prompt occurs in several rows,
/// the columns of its first row are the ones given. The prompt column is <see cref="Prompt"/>; a data column with the
/// generated sample's name (e.g. "Completion") is replaced by the generated sample and is not among the columns.
/// </remarks>
public sealed class RewardSample
{
    private readonly string? _completion;
    private readonly float[]? _image;
    private readonly RewardDatasetRow _row;

    internal RewardSample(string prompt, string? completion, float[]? image, RewardDatasetRow row)
    {
        Prompt = prompt;
        _completion = completion;
        _image = image;
        _row = row;
    }

    /// <summary>The prompt the sample was generated from.</summary>
    public string Prompt { get; }

    /// <summary>The generated text (language-model track).</summary>
    /// <exception cref="InvalidOperationException">The sample is an image; read <see cref="Image"/>.</exception>
    public string Completion => _completion ?? throw new InvalidOperationException(
        "This sample is an image (text-to-image track), not a text completion; read RewardSample.Image.");

    /// <summary>The generated image (text-to-image track): <c>channels * height * width</c> values in [-1, 1],
    /// row-major (CHW).</summary>
    /// <exception cref="InvalidOperationException">The sample is a text completion; read <see cref="Completion"/>.</exception>
    public float[] Image => _image ?? throw new InvalidOperationException(
        "This sample is a text completion (language-model track), not an image; read RewardSample.Completion.");

    /// <summary>Names of the training row's columns this sample carries (the prompt column included, the generated
    /// sample's column not).</summary>
    public IReadOnlyList<string> ColumnNames => _row.Columns.Names;

    /// <summary>A text column of the training row, e.g. <c>s["Answer"]</c>.</summary>
    /// <param name="column">Column name, as in the training data.</param>
    /// <exception cref="KeyNotFoundException">No such column; the message lists the columns there are.</exception>
    /// <exception cref="InvalidCastException">The column is not text; the message names its type.</exception>
    public string this[string column] => Column<string>(column);

    /// <summary>A column of the training row as <typeparamref name="T"/>, e.g. <c>s.Column&lt;float&gt;("Target")</c>.</summary>
    /// <typeparam name="T">The column's C# type: string for text, the number type for numbers, an array for vectors.</typeparam>
    /// <param name="column">Column name, as in the training data.</param>
    /// <exception cref="KeyNotFoundException">No such column; the message lists the columns there are.</exception>
    /// <exception cref="InvalidCastException">The column holds another type; the message names it.</exception>
    public T Column<T>(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        int index = _row.Columns.IndexOf(column);
        if (index < 0)
        {
            throw new KeyNotFoundException(
                $"The reward sample has no column '{column}'; the training data's columns are {_row.Columns.Describe()}. " +
                "Column names are case-sensitive; declare the columns a reward reads (columns: [...]) to have them checked before training.");
        }

        object? value = _row.Value(index);
        if (value is T typed)
        {
            return typed;
        }

        string type = CSharpName(RewardDatasetColumns.ClrType(_row.Columns.Types[index]));
        string how = type == "string" ? $"s[\"{column}\"] or Column<string>" : $"Column<{type}>";
        throw new InvalidCastException(string.Create(CultureInfo.InvariantCulture,
            $"Column '{column}' is {_row.Columns.Types[index]}: read it with {how}(\"{column}\"), not as {CSharpName(typeof(T))}."));
    }

    /// <summary>The C# spelling of a column's type, for messages: float, string, float[].</summary>
    private static string CSharpName(Type type) => type.IsArray
        ? CSharpName(type.GetElementType()!) + "[]"
        : Type.GetTypeCode(type) switch
        {
            TypeCode.String => "string",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Boolean => "bool",
            TypeCode.Int32 => "int",
            TypeCode.Int64 => "long",
            TypeCode.Int16 => "short",
            TypeCode.Byte => "byte",
            TypeCode.SByte => "sbyte",
            TypeCode.UInt16 => "ushort",
            TypeCode.UInt32 => "uint",
            TypeCode.UInt64 => "ulong",
            _ => type.Name,
        };

    /// <inheritdoc />
    public override string ToString() => $"prompt '{Prompt}'" + (_completion is null ? string.Empty : $", completion '{_completion}'");
}
