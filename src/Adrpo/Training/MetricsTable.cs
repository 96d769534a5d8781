using Microsoft.Data.Analysis;

namespace Adrpo.Training;

/// <summary>Turns per-iteration metric records into a <see cref="DataFrame"/> and writes it as CSV atomically.</summary>
internal static class MetricsTable
{
    /// <summary>One column per numeric property, plus one per entry of a string-keyed dictionary property.</summary>
    public static DataFrame ToDataFrame<T>(IReadOnlyList<T> rows)
    {
        var frame = new DataFrame();
        // Base-record properties first (reflection lists the derived type's own first), in declaration order.
        foreach (var property in typeof(T).GetProperties().OrderBy(p => Depth(p.DeclaringType!)).ThenBy(p => p.MetadataToken))
        {
            if (property.PropertyType == typeof(int))
            {
                frame.Columns.Add(new Int32DataFrameColumn(property.Name, rows.Select(r => (int)property.GetValue(r)!)));
            }
            else if (property.PropertyType == typeof(double))
            {
                frame.Columns.Add(new DoubleDataFrameColumn(property.Name, rows.Select(r => (double)property.GetValue(r)!)));
            }
            else if (property.PropertyType == typeof(double?))
            {
                // A measurement some rows do not make (held-out evaluations): NaN there, so the column stays numeric.
                frame.Columns.Add(new DoubleDataFrameColumn(property.Name, rows.Select(r => (double?)property.GetValue(r) ?? double.NaN)));
            }
            else if (property.PropertyType == typeof(IReadOnlyDictionary<string, double>))
            {
                var keys = rows.SelectMany(r => ((IReadOnlyDictionary<string, double>)property.GetValue(r)!).Keys).Distinct().ToList();
                foreach (string key in keys)
                {
                    frame.Columns.Add(new DoubleDataFrameColumn($"{property.Name}[{key}]", rows.Select(r =>
                        ((IReadOnlyDictionary<string, double>)property.GetValue(r)!).TryGetValue(key, out double v) ? v : double.NaN)));
                }
            }
        }

        return frame;
    }

    /// <summary>Writes <paramref name="frame"/> to <paramref name="path"/> through a temp file and a rename.</summary>
    public static void WriteCsv(DataFrame frame, string path)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            DataFrame.SaveCsv(frame, temp, cultureInfo: System.Globalization.CultureInfo.InvariantCulture);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>A row with every numeric measurement NaN (integers 0, dictionaries empty), for rows that measured only some columns.</summary>
    public static T Blank<T>()
        where T : new()
    {
        var row = new T();
        foreach (var property in typeof(T).GetProperties().Where(p => p.PropertyType == typeof(double) && p.CanWrite))
        {
            property.SetValue(row, double.NaN);
        }

        return row;
    }

    private static int Depth(Type type)
    {
        int depth = 0;
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            depth++;
        }

        return depth;
    }
}
