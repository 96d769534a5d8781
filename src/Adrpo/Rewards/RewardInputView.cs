using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// The in-memory <see cref="IDataView"/> a <see cref="RewardScorer"/> gives its transformer rewards: one row per
/// sample, columns from <see cref="RewardColumnData"/>, each column's row r served from value <c>rows[r]</c> of its
/// data (the prompt and sample columns hold one value per sample; a dataset column holds one value per training
/// prompt, so its map points each sample at its prompt's row). One cursor at a time per thread; not shufflable.
/// </summary>
internal sealed class RewardInputView : IDataView
{
    private readonly RewardColumnData[] _data;
    private readonly IReadOnlyList<int>[] _rows;
    private readonly int _count;

    public RewardInputView(DataViewSchema schema, RewardColumnData[] data, IReadOnlyList<int>[] rows, int count)
    {
        Schema = schema;
        _data = data;
        _rows = rows;
        _count = count;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly RewardInputView _view;
        private readonly HashSet<int> _active;
        private long _position = -1;

        public Cursor(RewardInputView view, HashSet<int> active)
        {
            _view = view;
            _active = active;
        }

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._count)
            {
                _position = _view._count;
                return false;
            }

            _position++;
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was made.");
            }

            return _view._data[column.Index].MakeGetter(this, _view._rows[column.Index]) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);
    }
}
