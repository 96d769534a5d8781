using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// The values of one column held in memory, typed by the column's ML.NET raw type, so that a reward view can serve
/// them to transformers (<see cref="MakeGetter"/>) and function rewards can read them as plain C# values
/// (<see cref="Friendly"/>). Vector values are copied on the way in and out: a transformer may reuse the buffer it is
/// given, and must not change what is stored here.
/// </summary>
internal abstract class RewardColumnData
{
    /// <summary>Number of values held.</summary>
    public abstract int Count { get; }

    /// <summary>Empty storage for a column of this type.</summary>
    public static RewardColumnData For(DataViewType type)
    {
        var storage = type is VectorDataViewType vector
            ? typeof(VectorColumnData<>).MakeGenericType(vector.ItemType.RawType)
            : typeof(ScalarColumnData<>).MakeGenericType(type.RawType);
        return (RewardColumnData)Activator.CreateInstance(storage)!;
    }

    /// <summary>Text values, e.g. the prompts of a batch.</summary>
    public static RewardColumnData Text(IEnumerable<string> values) => new ScalarColumnData<ReadOnlyMemory<char>>(values.Select(v => v.AsMemory()));

    /// <summary>Float vectors, e.g. the images of a batch (not copied: served by copy).</summary>
    public static RewardColumnData Floats(IEnumerable<float[]> values) => new VectorColumnData<float>(values.Select(v => new VBuffer<float>(v.Length, v)));

    /// <summary>Starts reading <paramref name="column"/> of <paramref name="row"/>'s cursor; call before <see cref="AppendCurrent"/>.</summary>
    public abstract void Bind(DataViewRow row, DataViewSchema.Column column);

    /// <summary>Appends the bound cursor's current value.</summary>
    public abstract void AppendCurrent();

    /// <summary>Value <paramref name="index"/> as a plain C# value: string for text, arrays for vectors.</summary>
    public abstract object? Friendly(int index);

    /// <summary>Whether the bound cursor's current value equals value <paramref name="index"/> (element by element for vectors).</summary>
    public abstract bool CurrentEquals(int index);

    /// <summary>A <c>ValueGetter</c> of the raw type that serves value <c>rows[cursor.Position]</c>.</summary>
    public abstract Delegate MakeGetter(DataViewRow cursor, IReadOnlyList<int> rows);

    /// <summary>Scalar values (text, numbers, booleans, keys, dates).</summary>
    private sealed class ScalarColumnData<T> : RewardColumnData
    {
        private readonly List<T> _values;
        private ValueGetter<T>? _getter;

        public ScalarColumnData()
            : this(Array.Empty<T>())
        {
        }

        public ScalarColumnData(IEnumerable<T> values) => _values = values.ToList();

        public override int Count => _values.Count;

        public override void Bind(DataViewRow row, DataViewSchema.Column column) => _getter = row.GetGetter<T>(column);

        public override void AppendCurrent()
        {
            T value = default!;
            _getter!(ref value);
            _values.Add(value);
        }

        public override object? Friendly(int index) => _values[index] is ReadOnlyMemory<char> text ? text.ToString() : _values[index];

        public override bool CurrentEquals(int index)
        {
            T value = default!;
            _getter!(ref value);
            return Equals(value is ReadOnlyMemory<char> text ? text.ToString() : value, Friendly(index));
        }

        public override Delegate MakeGetter(DataViewRow cursor, IReadOnlyList<int> rows) =>
            new ValueGetter<T>((ref T value) => value = _values[rows[(int)cursor.Position]]);
    }

    /// <summary>Vectors of any item type, known or unknown size, dense or sparse.</summary>
    private sealed class VectorColumnData<T> : RewardColumnData
    {
        private readonly List<VBuffer<T>> _values;
        private ValueGetter<VBuffer<T>>? _getter;

        public VectorColumnData()
            : this(Array.Empty<VBuffer<T>>())
        {
        }

        public VectorColumnData(IEnumerable<VBuffer<T>> values) => _values = values.ToList();

        public override int Count => _values.Count;

        public override void Bind(DataViewRow row, DataViewSchema.Column column) => _getter = row.GetGetter<VBuffer<T>>(column);

        public override void AppendCurrent()
        {
            var read = default(VBuffer<T>);
            _getter!(ref read);
            var copy = default(VBuffer<T>);
            read.CopyTo(ref copy);   // the cursor reuses its buffer for the next row
            _values.Add(copy);
        }

        public override object? Friendly(int index)
        {
            var dense = _values[index].DenseValues();
            return typeof(T) == typeof(ReadOnlyMemory<char>)
                ? dense.Select(v => ((ReadOnlyMemory<char>)(object)v!).ToString()).ToArray()
                : dense.ToArray();
        }

        public override bool CurrentEquals(int index)
        {
            var read = default(VBuffer<T>);
            _getter!(ref read);
            var stored = _values[index];
            return read.Length == stored.Length && read.DenseValues().Zip(stored.DenseValues()).All(p => Equals(
                p.First is ReadOnlyMemory<char> a ? a.ToString() : p.First,
                p.Second is ReadOnlyMemory<char> b ? b.ToString() : p.Second));
        }

        public override Delegate MakeGetter(DataViewRow cursor, IReadOnlyList<int> rows) =>
            new ValueGetter<VBuffer<T>>((ref VBuffer<T> value) => _values[rows[(int)cursor.Position]].CopyTo(ref value));
    }
}
