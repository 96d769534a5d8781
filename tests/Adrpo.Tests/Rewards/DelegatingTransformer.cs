using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Tests.Rewards;

/// <summary>Wraps a transformer and lets a test replace its schema or data behaviour, to simulate faulty reward models.</summary>
internal sealed class DelegatingTransformer(ITransformer inner, Func<DataViewSchema, DataViewSchema>? getOutputSchema = null, Func<IDataView, IDataView>? transform = null) : ITransformer
{
    public bool IsRowToRowMapper => false;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => getOutputSchema is null ? inner.GetOutputSchema(inputSchema) : getOutputSchema(inputSchema);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();

    public IDataView Transform(IDataView input) => transform is null ? inner.Transform(input) : transform(inner.Transform(input));

    void ICanSaveModel.Save(ModelSaveContext ctx) => throw new NotSupportedException();
}
