namespace Adrpo.Rewards;

/// <summary>One training prompt's row of <see cref="RewardDatasetColumns"/>; row -1 holds no columns.</summary>
internal readonly struct RewardDatasetRow
{
    private readonly int _row;

    public RewardDatasetRow(RewardDatasetColumns columns, int row)
    {
        Columns = columns;
        _row = row;
    }

    /// <summary>The columns the row belongs to.</summary>
    public RewardDatasetColumns Columns { get; }

    /// <summary>A column's value as a plain C# value; arrays are copies, so a reward cannot change the data.</summary>
    public object? Value(int column)
    {
        object? value = Columns.Friendly(column, _row);
        return value is Array array ? array.Clone() : value;
    }
}
