using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Adrpo.Rewards;

/// <summary>
/// Finds which input column a reward transformer cannot read, and a type it would read it as, from schema information
/// only: never from exception messages, whose wording ML.NET may change.
/// </summary>
/// <remarks>
/// ML.NET's schema exceptions carry no column: they are <see cref="ArgumentOutOfRangeException"/>s whose
/// <c>ParamName</c> is the schema parameter ("inputSchema"), and <c>SchemaShape</c> lives on estimators, not on fitted
/// transformers. What a fitted transformer does expose publicly, and is used here:
/// <list type="bullet">
/// <item>a <see cref="TransformerChain{TLastTransformer}"/> enumerates its stages: each is checked against the schema
/// the stages before it produce, so the failing stage is the one diagnosed;</item>
/// <item>prediction transformers (<see cref="ISingleFeaturePredictionTransformer{TModel}"/>) declare
/// <c>FeatureColumnName</c> and <c>FeatureColumnType</c>;</item>
/// <item><see cref="CustomMappingTransformer{TSrc, TDst}"/>'s input class <c>TSrc</c> declares its columns
/// (<see cref="SchemaDefinition.Create(Type, SchemaDefinition.Direction)"/>);</item>
/// <item>for everything else (ONNX, concatenation, normalisers, text featurisers: their input column names are
/// internal), a trial: each provided column is retyped to a few common types and
/// <see cref="ITransformer.GetOutputSchema"/> asked again; a type that makes it succeed names the column and a type
/// that works.</item>
/// </list>
/// A declared requirement is reported only when giving the column its declared type makes the transformer accept
/// the schema, so a declaration the transformer does not enforce (CustomMapping ignores vector sizes) cannot blame the
/// wrong column. A column that is missing and undeclared cannot be named this way: the caller then reports ML.NET's
/// message verbatim.
/// </remarks>
internal static class RewardInputDiagnosis
{
    /// <summary>The problem that makes <paramref name="transformer"/> reject <paramref name="input"/>; null when it
    /// accepts it or when schema information cannot tell.</summary>
    public static RewardInputProblem? Diagnose(ITransformer transformer, DataViewSchema input)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            var stages = chain.ToArray();
            var schema = input;
            for (int k = 0; k < stages.Length; k++)
            {
                if (!TryGetOutputSchema(stages[k], schema, out var next))
                {
                    var problem = Diagnose(stages[k], schema);
                    return problem is null || stages.Length == 1 || problem.Stage is not null
                        ? problem
                        : problem with { Stage = k, StageType = stages[k].GetType().Name };
                }

                schema = next!;
            }

            return null;
        }

        if (TryGetOutputSchema(transformer, input, out _))
        {
            return null;
        }

        return FromDeclaredInputs(transformer, input) ?? FromTrial(transformer, input);
    }

    /// <summary>The input columns a transformer declares through public API: name, type and how to show the type.</summary>
    internal static IReadOnlyList<(string Name, DataViewType Type, string Description)> DeclaredInputs(ITransformer transformer)
    {
        // ISingleFeaturePredictionTransformer<out TModel> is covariant and TModel is a class, so <object> matches all.
        if (transformer is ISingleFeaturePredictionTransformer<object> prediction && prediction.FeatureColumnType is not null)
        {
            return new[] { (prediction.FeatureColumnName, prediction.FeatureColumnType, prediction.FeatureColumnType.ToString() ?? string.Empty) };
        }

        var type = transformer.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(CustomMappingTransformer<,>))
        {
            var inputClass = type.GetGenericArguments()[0];
            return SchemaDefinition.Create(inputClass, SchemaDefinition.Direction.Read)
                .Where(c => c.ColumnType is not null)
                .Select(c => (c.ColumnName, c.ColumnType, $"{c.ColumnType} (CustomMapping input {inputClass.Name}.{c.MemberName}, {MemberType(inputClass, c.MemberName)})"))
                .ToArray();
        }

        return Array.Empty<(string, DataViewType, string)>();
    }

    private static RewardInputProblem? FromDeclaredInputs(ITransformer transformer, DataViewSchema input)
    {
        var unmet = DeclaredInputs(transformer)
            .Where(d => input.GetColumnOrNull(d.Name) is not { } column || !column.Type.Equals(d.Type))
            .ToArray();
        foreach (var (name, type, description) in unmet)
        {
            if (TryGetOutputSchema(transformer, WithColumn(input, name, type), out _))
            {
                return new RewardInputProblem(name, type, description, input.GetColumnOrNull(name)?.Type, RewardInputEvidence.Declared);
            }
        }

        // Several unmet at once (e.g. two missing columns): report the first when meeting all of them is enough.
        if (unmet.Length > 1)
        {
            var all = unmet.Aggregate(input, (schema, d) => WithColumn(schema, d.Name, d.Type));
            if (TryGetOutputSchema(transformer, all, out _))
            {
                var (name, type, description) = unmet[0];
                return new RewardInputProblem(name, type, description, input.GetColumnOrNull(name)?.Type, RewardInputEvidence.Declared);
            }
        }

        return null;
    }

    private static RewardInputProblem? FromTrial(ITransformer transformer, DataViewSchema input)
    {
        foreach (var column in input.Where(c => !c.IsHidden))
        {
            foreach (var candidate in CandidateTypes(column.Type))
            {
                if (TryGetOutputSchema(transformer, WithColumn(input, column.Name, candidate), out _))
                {
                    return new RewardInputProblem(column.Name, candidate, candidate.ToString() ?? string.Empty, column.Type, RewardInputEvidence.Trial);
                }
            }
        }

        return null;
    }

    /// <summary>Types reward models commonly read; a provided known-size vector is also tried flattened.</summary>
    private static IEnumerable<DataViewType> CandidateTypes(DataViewType provided)
    {
        var candidates = new List<DataViewType>
        {
            TextDataViewType.Instance,
            NumberDataViewType.Single,
            NumberDataViewType.Double,
            BooleanDataViewType.Instance,
            NumberDataViewType.Int32,
            NumberDataViewType.Int64,
            new VectorDataViewType(NumberDataViewType.Single),
            new VectorDataViewType(TextDataViewType.Instance),
        };
        if (provided is VectorDataViewType { IsKnownSize: true, Dimensions.Length: > 1 } vector)
        {
            candidates.Add(new VectorDataViewType(vector.ItemType, vector.Size));
        }

        return candidates.Where(c => !c.Equals(provided));
    }

    /// <summary><paramref name="schema"/> with the visible column <paramref name="name"/> retyped (in place) or added.</summary>
    internal static DataViewSchema WithColumn(DataViewSchema schema, string name, DataViewType type)
    {
        var visible = schema.GetColumnOrNull(name);
        var builder = new DataViewSchema.Builder();
        foreach (var column in schema)
        {
            // Hidden columns are kept, in order, so a chain stage sees exactly what it saw before.
            if (visible is { } v && column.Index == v.Index)
            {
                builder.AddColumn(name, type);
            }
            else
            {
                builder.AddColumn(column.Name, column.Type, column.Annotations);
            }
        }

        if (visible is null)
        {
            builder.AddColumn(name, type);
        }

        return builder.ToSchema();
    }

    private static bool TryGetOutputSchema(ITransformer transformer, DataViewSchema input, out DataViewSchema? output)
    {
        try
        {
            output = transformer.GetOutputSchema(input);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Any exception means "rejected": its type and text say nothing reliable about which column.
            output = null;
            return false;
        }
    }

    private static string MemberType(Type inputClass, string memberName) =>
        inputClass.GetMember(memberName, BindingFlags.Public | BindingFlags.Instance).FirstOrDefault() switch
        {
            PropertyInfo property => property.PropertyType.ToString(),
            FieldInfo field => field.FieldType.ToString(),
            _ => "unknown member type",
        };
}
