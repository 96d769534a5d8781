using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Generation;

/// <summary>
/// The lazy result of <see cref="FlowMatchingGeneratorTransformer.Transform"/>: the input's columns plus the
/// generated column. A cursor reads prompts ahead with a second input cursor, generates a batch, and serves the
/// rows one by one; nothing is generated when the output column is not requested.
/// </summary>
internal sealed class GeneratedSampleDataView : IDataView
{
    private readonly FlowMatchingGeneratorTransformer _transformer;
    private readonly IDataView _input;

    public GeneratedSampleDataView(FlowMatchingGeneratorTransformer transformer, IDataView input, DataViewSchema schema)
    {
        _transformer = transformer;
        _input = input;
        Schema = schema;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    /// <summary>Index of the generated column: the input's columns come first, unchanged.</summary>
    private int OutputIndex => Schema.Count - 1;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        bool generate = needed.Any(c => c.Index == OutputIndex);
        var inputNeeded = needed.Where(c => c.Index != OutputIndex).Select(c => _input.Schema[c.Index]).ToList();
        var main = _input.GetRowCursor(inputNeeded);
        if (!generate)
        {
            return new Cursor(this, main, null);
        }

        var promptColumn = _input.Schema[_transformer.Settings.PromptColumnName];
        var lookahead = _input.GetRowCursor(new[] { promptColumn });
        return new Cursor(this, main, lookahead);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly GeneratedSampleDataView _view;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookahead;
        private readonly ValueGetter<ReadOnlyMemory<char>>? _prompt;
        private float[][] _batch = Array.Empty<float[]>();
        private long _batchStart;

        public Cursor(GeneratedSampleDataView view, DataViewRowCursor main, DataViewRowCursor? lookahead)
        {
            _view = view;
            _main = main;
            _lookahead = lookahead;
            if (lookahead is not null)
            {
                _prompt = lookahead.GetGetter<ReadOnlyMemory<char>>(lookahead.Schema[view._transformer.Settings.PromptColumnName]);
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _main.Position;

        public override long Batch => 0;

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == _view.OutputIndex ? _lookahead is not null : _main.IsColumnActive(_main.Schema[column.Index]);

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

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != _view.OutputIndex)
            {
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);
            }

            if (_lookahead is null)
            {
                throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            }

            if (typeof(TValue) != typeof(VBuffer<float>))
            {
                throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<Single>, not {typeof(TValue).Name}.");
            }

            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                float[] sample = _batch[Position - _batchStart];
                var editor = VBufferEditor.Create(ref value, sample.Length);
                sample.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)getter;
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
            while (prompts.Count < _view._transformer.Settings.BatchSize && _lookahead.MoveNext())
            {
                _prompt!(ref text);
                prompts.Add(text.ToString());
            }

            _batchStart = start;
            _batch = _view._transformer.GenerateBatch(prompts, start);
        }
    }
}
