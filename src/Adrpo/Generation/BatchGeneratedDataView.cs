using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Generation;

/// <summary>
/// The lazy result of a generating transformer (images or completions): the input's columns plus one or more
/// generated columns, all written from the same generated value of a row. A cursor reads prompts ahead with a
/// second input cursor, generates a batch, and serves the rows one by one; nothing is generated when no generated
/// column is requested.
/// </summary>
/// <typeparam name="TOut">The generated value of one row (float[] for images, string for completions).</typeparam>
/// <typeparam name="TValue">The ML.NET representation of the column (VBuffer&lt;float&gt;, ReadOnlyMemory&lt;char&gt;).</typeparam>
internal sealed class BatchGeneratedDataView<TOut, TValue> : IDataView
{
    private readonly IDataView _input;
    private readonly string _promptColumn;
    private readonly int _batchSize;
    private readonly Func<IReadOnlyList<string>, long, TOut[]> _generate;
    private readonly IReadOnlyList<Func<TOut, TValue, TValue>> _writers;

    /// <param name="input">The input rows.</param>
    /// <param name="schema">The input schema plus the generated column, last.</param>
    /// <param name="promptColumn">The prompt column of the input.</param>
    /// <param name="batchSize">Rows generated per batch.</param>
    /// <param name="generate">Generates the rows of a batch from their prompts and the index of the batch's first row.</param>
    /// <param name="write">Writes a generated value into a column value (reusing its buffer where possible).</param>
    public BatchGeneratedDataView(IDataView input, DataViewSchema schema, string promptColumn, int batchSize, Func<IReadOnlyList<string>, long, TOut[]> generate, Func<TOut, TValue, TValue> write)
        : this(input, schema, promptColumn, batchSize, generate, new[] { write })
    {
    }

    /// <param name="input">The input rows.</param>
    /// <param name="schema">The input schema plus the generated columns, last, in the order of <paramref name="writers"/>.</param>
    /// <param name="promptColumn">The prompt column of the input.</param>
    /// <param name="batchSize">Rows generated per batch.</param>
    /// <param name="generate">Generates the rows of a batch from their prompts and the index of the batch's first row.</param>
    /// <param name="writers">Per generated column: writes a row's generated value into a column value (reusing its buffer where possible).</param>
    public BatchGeneratedDataView(IDataView input, DataViewSchema schema, string promptColumn, int batchSize, Func<IReadOnlyList<string>, long, TOut[]> generate, IReadOnlyList<Func<TOut, TValue, TValue>> writers)
    {
        if (batchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize (rows generated per batch) must be at least 1.");
        }

        _input = input;
        Schema = schema;
        _promptColumn = promptColumn;
        _batchSize = batchSize;
        _generate = generate;
        _writers = writers;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    /// <summary>Index of the first generated column: the input's columns come first, unchanged.</summary>
    private int FirstOutputIndex => Schema.Count - _writers.Count;

    private bool IsOutput(int index) => index >= FirstOutputIndex;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        bool generate = needed.Any(c => IsOutput(c.Index));
        var inputNeeded = needed.Where(c => !IsOutput(c.Index)).Select(c => _input.Schema[c.Index]).ToList();
        var main = _input.GetRowCursor(inputNeeded);
        if (!generate)
        {
            return new Cursor(this, main, null);
        }

        var promptColumn = _input.Schema[_promptColumn];
        var lookahead = _input.GetRowCursor(new[] { promptColumn });
        return new Cursor(this, main, lookahead);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchGeneratedDataView<TOut, TValue> _view;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookahead;
        private readonly ValueGetter<ReadOnlyMemory<char>>? _prompt;
        private TOut[] _batch = Array.Empty<TOut>();
        private long _batchStart;

        public Cursor(BatchGeneratedDataView<TOut, TValue> view, DataViewRowCursor main, DataViewRowCursor? lookahead)
        {
            _view = view;
            _main = main;
            _lookahead = lookahead;
            if (lookahead is not null)
            {
                _prompt = lookahead.GetGetter<ReadOnlyMemory<char>>(lookahead.Schema[view._promptColumn]);
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _main.Position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            _view.IsOutput(column.Index) ? _lookahead is not null : _main.IsColumnActive(_main.Schema[column.Index]);

        public override bool MoveNext()
        {
            if (!_main.MoveNext())
            {
                return false;
            }

            if (_lookahead is not null && Position >= _batchStart + _batch.Length)
            {
                FillBatch();
            }

            return true;
        }

        public override ValueGetter<TRequested> GetGetter<TRequested>(DataViewSchema.Column column)
        {
            if (!_view.IsOutput(column.Index))
            {
                return _main.GetGetter<TRequested>(_main.Schema[column.Index]);
            }

            if (_lookahead is null)
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            }

            if (typeof(TRequested) != typeof(TValue))
            {
                throw new InvalidOperationException($"Column '{column.Name}' holds {typeof(TValue).Name}, not {typeof(TRequested).Name}.");
            }

            var write = _view._writers[column.Index - _view.FirstOutputIndex];
            ValueGetter<TValue> getter = (ref TValue value) => value = write(_batch[Position - _batchStart], value);
            return (ValueGetter<TRequested>)(Delegate)getter;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _main.Dispose();
                _lookahead?.Dispose();
            }

            base.Dispose(disposing);
        }

        private void FillBatch()
        {
            var prompts = new List<string>();
            ReadOnlyMemory<char> text = default;
            long start = _lookahead!.Position + 1;
            while (prompts.Count < _view._batchSize && _lookahead.MoveNext())
            {
                _prompt!(ref text);
                prompts.Add(text.ToString());
            }

            _batchStart = start;
            _batch = _view._generate(prompts, start);
        }
    }
}
