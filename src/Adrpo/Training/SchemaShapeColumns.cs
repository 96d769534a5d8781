using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Training;

/// <summary>
/// Builds <see cref="SchemaShape.Column"/>s for <c>GetOutputSchema</c>. ML.NET 5.0.1 keeps the column constructor and
/// <c>SchemaShape.Create</c> internal, so the column is taken from the output shape of a CustomMapping estimator
/// whose output schema definition declares exactly the wanted column.
/// </summary>
internal static class SchemaShapeColumns
{
    public static SchemaShape.Column Vector(MLContext context, string name, long[] dimensions)
    {
        var definition = SchemaDefinition.Create(typeof(VectorRow));
        var column = definition.Single(c => c.MemberName == nameof(VectorRow.Value));
        column.ColumnName = name;
        column.ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions.Select(d => (int)d).ToArray());
        var estimator = context.Transforms.CustomMapping<NoInput, VectorRow>((_, _) => { }, contractName: null, outputSchemaDefinition: definition);
        return estimator.GetOutputSchema(new SchemaShape(Array.Empty<SchemaShape.Column>())).Single(c => c.Name == name);
    }

    public static SchemaShape.Column Text(MLContext context, string name)
    {
        var definition = SchemaDefinition.Create(typeof(TextRow));
        definition.Single(c => c.MemberName == nameof(TextRow.Value)).ColumnName = name;
        var estimator = context.Transforms.CustomMapping<NoInput, TextRow>((_, _) => { }, contractName: null, outputSchemaDefinition: definition);
        return estimator.GetOutputSchema(new SchemaShape(Array.Empty<SchemaShape.Column>())).Single(c => c.Name == name);
    }

    private sealed class TextRow
    {
        public string Value { get; set; } = string.Empty;
    }

    private sealed class NoInput
    {
    }

    private sealed class VectorRow
    {
        public float[] Value { get; set; } = Array.Empty<float>();
    }
}
