using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// Scores generated samples with weighted ML.NET reward models. Each batch becomes an <see cref="IDataView"/> with two
/// columns, the prompt (<c>String</c>, default name "Prompt") and the sample (<see cref="RewardSampleColumn"/>: text,
/// default "Completion", or a float32 vector of fixed shape, e.g. "Image" 3x32x32); every model's transformer is
/// applied to it and its score column read back, one value per row, in order.
/// </summary>
/// <remarks>
/// Call <see cref="ValidateSchema"/> before training so a reward model that cannot read these columns fails at once,
/// with a message naming the model and the column, not after the first generation step. <see cref="Score(IReadOnlyList{string}, IReadOnlyList{string})"/>
/// validates on its first call too. One thread at a time may call <c>Score</c>.
/// </remarks>
public sealed class RewardScorer
{
    private readonly MLContext _mlContext;
    private readonly RewardModel[] _models;
    private readonly string[] _names;
    private readonly SchemaDefinition _schemaDefinition;
    private readonly object _gate = new();
    private bool _validated;

    /// <summary>Creates a scorer; nothing is run until <see cref="ValidateSchema"/> or <c>Score</c>.</summary>
    /// <param name="mlContext">The ML.NET context that builds the input views.</param>
    /// <param name="models">At least one reward model; names (explicit or "reward{index}") must be unique.</param>
    /// <param name="sample">The sample column; <see cref="RewardSampleColumn.Text"/>("Completion") when null.</param>
    /// <param name="promptColumnName">Name of the prompt column.</param>
    public RewardScorer(MLContext mlContext, IEnumerable<RewardModel> models, RewardSampleColumn? sample = null, string promptColumnName = "Prompt")
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(models);
        if (string.IsNullOrWhiteSpace(promptColumnName))
        {
            throw new ArgumentException("promptColumnName must name the prompt column.", nameof(promptColumnName));
        }

        _mlContext = mlContext;
        Sample = sample ?? RewardSampleColumn.Text();
        PromptColumnName = promptColumnName;
        if (Sample.Name == PromptColumnName)
        {
            throw new ArgumentException($"The prompt and sample columns are both named '{PromptColumnName}'; they need different names.", nameof(promptColumnName));
        }

        _models = models.ToArray();
        if (_models.Length == 0)
        {
            throw new ArgumentException("At least one reward model is required.", nameof(models));
        }

        _names = new string[_models.Length];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _models.Length; i++)
        {
            if (_models[i] is null)
            {
                throw new ArgumentException($"Reward model {i} is null.", nameof(models));
            }

            _names[i] = _models[i].Name ?? $"reward{i}";
            if (!seen.TryAdd(_names[i], i))
            {
                throw new ArgumentException($"Reward models {seen[_names[i]]} and {i} are both named '{_names[i]}'; names key RewardBatch.PerModel and must be unique.", nameof(models));
            }
        }

        _schemaDefinition = BuildSchemaDefinition();
        InputSchema = Sample.Kind == RewardSampleKind.Text
            ? mlContext.Data.LoadFromEnumerable(Array.Empty<TextRewardRow>(), _schemaDefinition).Schema
            : mlContext.Data.LoadFromEnumerable(Array.Empty<VectorRewardRow>(), _schemaDefinition).Schema;
    }

    /// <summary>The reward models, in order.</summary>
    public IReadOnlyList<RewardModel> Models => _models;

    /// <summary>Each model's name as used in <see cref="RewardBatch.PerModel"/> and in messages.</summary>
    public IReadOnlyList<string> ModelNames => _names;

    /// <summary>The sample column.</summary>
    public RewardSampleColumn Sample { get; }

    /// <summary>Name of the prompt column.</summary>
    public string PromptColumnName { get; }

    /// <summary>The schema every reward model is given: prompt (<c>String</c>) then sample.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>
    /// Checks, without scoring anything, that every reward model accepts <see cref="InputSchema"/> and outputs its
    /// score column as <c>Single</c> or a <c>Single</c> vector of length 1.
    /// </summary>
    /// <exception cref="ArgumentException">A model needs a column the scorer does not provide, needs it with another
    /// type, rejects the schema for another reason (inner exception), or lacks a usable score column. The message names
    /// the model by index and name.</exception>
    public void ValidateSchema()
    {
        lock (_gate)
        {
            if (_validated)
            {
                return;
            }

            for (int i = 0; i < _models.Length; i++)
            {
                DataViewSchema output;
                try
                {
                    output = _models[i].Transformer.GetOutputSchema(InputSchema);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    throw InputSchemaError(i, ex);
                }

                _ = ScoreColumn(i, output, scoring: false);
            }

            _validated = true;
        }
    }

    /// <summary>Scores text samples (language-model completions).</summary>
    /// <param name="prompts">One prompt per sample (repeat a prompt for each of its samples); may be empty strings.</param>
    /// <param name="completions">The samples; not null, may be empty strings.</param>
    /// <returns>Rewards in sample order.</returns>
    /// <exception cref="InvalidOperationException">This scorer scores vectors, or a reward model failed, dropped or
    /// added rows, or returned a score of the wrong shape (the message names it).</exception>
    public RewardBatch Score(IReadOnlyList<string> prompts, IReadOnlyList<string> completions)
    {
        RequireKind(RewardSampleKind.Text);
        int n = CheckBatch(prompts, completions, nameof(completions));
        var rows = new TextRewardRow[n];
        for (int i = 0; i < n; i++)
        {
            rows[i] = new TextRewardRow { Prompt = prompts[i], Sample = completions[i] ?? throw new ArgumentException($"Completion at index {i} is null.", nameof(completions)) };
        }

        return ScoreView(_mlContext.Data.LoadFromEnumerable(rows, _schemaDefinition), n);
    }

    /// <summary>Scores float32 samples (e.g. images), each flattened in row-major order.</summary>
    /// <param name="prompts">One prompt per sample.</param>
    /// <param name="samples">The samples, each with <see cref="RewardSampleColumn.Length"/> values.</param>
    /// <returns>Rewards in sample order.</returns>
    /// <exception cref="InvalidOperationException">This scorer scores text, or a reward model failed, dropped or added
    /// rows, or returned a score of the wrong shape (the message names it).</exception>
    public RewardBatch Score(IReadOnlyList<string> prompts, IReadOnlyList<float[]> samples)
    {
        RequireKind(RewardSampleKind.Vector);
        int n = CheckBatch(prompts, samples, nameof(samples));
        var rows = new VectorRewardRow[n];
        for (int i = 0; i < n; i++)
        {
            float[] sample = samples[i] ?? throw new ArgumentException($"Sample at index {i} is null.", nameof(samples));
            if (sample.Length != Sample.Length)
            {
                throw new ArgumentException($"Sample at index {i} has {sample.Length} values; column {Sample} needs {Sample.Length} ({string.Join("x", Sample.Dimensions)}).", nameof(samples));
            }

            rows[i] = new VectorRewardRow { Prompt = prompts[i], Sample = sample };
        }

        return ScoreView(_mlContext.Data.LoadFromEnumerable(rows, _schemaDefinition), n);
    }

    private SchemaDefinition BuildSchemaDefinition()
    {
        var rowType = Sample.Kind == RewardSampleKind.Text ? typeof(TextRewardRow) : typeof(VectorRewardRow);
        var definition = SchemaDefinition.Create(rowType);
        foreach (var column in definition)
        {
            if (column.MemberName == nameof(TextRewardRow.Prompt))
            {
                column.ColumnName = PromptColumnName;
            }
            else
            {
                column.ColumnName = Sample.Name;
                if (Sample.Kind == RewardSampleKind.Vector)
                {
                    column.ColumnType = Sample.DataViewType; // a bare float[] would be a vector of unknown size
                }
            }
        }

        return definition;
    }

    private void RequireKind(RewardSampleKind kind)
    {
        if (Sample.Kind != kind)
        {
            throw new InvalidOperationException($"This scorer's sample column is {Sample} ({Sample.Kind}); call the Score overload for {Sample.Kind.ToString().ToLowerInvariant()} samples.");
        }
    }

    private static int CheckBatch<T>(IReadOnlyList<string> prompts, IReadOnlyList<T> samples, string samplesName)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(samples, samplesName);
        if (prompts.Count != samples.Count)
        {
            throw new ArgumentException($"{prompts.Count} prompts but {samples.Count} {samplesName}; give one prompt per sample.", samplesName);
        }

        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null)
            {
                throw new ArgumentException($"Prompt at index {i} is null.", nameof(prompts));
            }
        }

        return prompts.Count;
    }

    private RewardBatch ScoreView(IDataView input, int n)
    {
        ValidateSchema();
        var total = new double[n];
        var valid = Enumerable.Repeat(true, n).ToArray();
        var perModel = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int m = 0; m < _models.Length; m++)
        {
            float[] scores = n == 0 ? Array.Empty<float>() : RunModel(m, input, n);
            perModel.Add(_names[m], scores);
            for (int r = 0; r < n; r++)
            {
                total[r] += _models[m].Weight * scores[r];
            }
        }

        var totals = new float[n];
        for (int r = 0; r < n; r++)
        {
            // NaN/Inf from any model propagates into the double sum; a finite sum can still overflow float.
            totals[r] = (float)total[r];
            if (!float.IsFinite(totals[r]))
            {
                valid[r] = false;
                totals[r] = float.NaN;
            }
        }

        return new RewardBatch(totals, perModel, valid);
    }

    private float[] RunModel(int m, IDataView input, int n)
    {
        var scores = new float[n];
        int rows = 0;
        bool extraRows = false;
        string? badLength = null;
        IDataView output;
        try
        {
            output = _models[m].Transformer.Transform(input);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw ScoringError(m, n, ex);
        }

        var (column, isVector) = ScoreColumn(m, output.Schema, scoring: true);
        try
        {
            // Transform is lazy: most transformer errors surface here, while rows are read.
            using var cursor = output.GetRowCursor(new[] { column });
            if (isVector)
            {
                var getter = cursor.GetGetter<VBuffer<float>>(column);
                var buffer = default(VBuffer<float>);
                while (cursor.MoveNext())
                {
                    if (rows == n)
                    {
                        extraRows = true;
                        break;
                    }

                    getter(ref buffer);
                    if (buffer.Length != 1)
                    {
                        badLength = $"row {rows} holds {buffer.Length} values";
                        break;
                    }

                    scores[rows++] = buffer.GetItemOrDefault(0);
                }
            }
            else
            {
                var getter = cursor.GetGetter<float>(column);
                while (cursor.MoveNext())
                {
                    if (rows == n)
                    {
                        extraRows = true;
                        break;
                    }

                    getter(ref scores[rows++]);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw ScoringError(m, n, ex);
        }

        if (badLength is not null)
        {
            throw new InvalidOperationException($"{Describe(m)}: score column '{_models[m].ScoreColumnName}' must hold one value per sample, but {badLength}.");
        }

        if (extraRows || rows != n)
        {
            throw new InvalidOperationException($"{Describe(m)} returned {(extraRows ? "more than " + n : rows.ToString(System.Globalization.CultureInfo.InvariantCulture))} rows for {n} samples; a reward transformer must map each row to one row (no filters, no row-adding transforms).");
        }

        return scores;
    }

    /// <summary>Finds and checks a model's score column; returns it and whether it is a length-1 vector.</summary>
    private (DataViewSchema.Column Column, bool IsVector) ScoreColumn(int m, DataViewSchema output, bool scoring)
    {
        string name = _models[m].ScoreColumnName;
        var column = output.GetColumnOrNull(name);
        if (column is null)
        {
            string message = $"{Describe(m)} has no score column '{name}' in its output (expected Single or a Single vector of length 1); its output columns are {Columns(output)}. Set RewardModel.ScoreColumnName to the column that holds the score.";
            throw scoring ? new InvalidOperationException(message) : new ArgumentException(message, "models");
        }

        var type = column.Value.Type;
        if (type == NumberDataViewType.Single)
        {
            return (column.Value, false);
        }

        // ONNX models output Vector<Single, 1, 1>; an unknown size is accepted here and checked per row.
        if (type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && (vector.Size == 1 || !vector.IsKnownSize))
        {
            return (column.Value, true);
        }

        string wrongType = $"{Describe(m)}: score column '{name}' must be Single or a Single vector of length 1, but is {type}.";
        throw scoring ? new InvalidOperationException(wrongType) : new ArgumentException(wrongType, "models");
    }

    private InvalidOperationException ScoringError(int m, int n, Exception ex)
    {
        // ML.NET's parallel cursors wrap the real error ("Splitter/consolidator worker encountered exception ...").
        var cause = ex.GetBaseException();
        return new($"{Describe(m)} failed while scoring {n} samples: {cause.GetType().Name}: {cause.Message}", ex);
    }

    private string Describe(int m) => $"reward model {m} ('{_names[m]}')";

    private static string Columns(DataViewSchema schema) =>
        string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}' ({c.Type})"));

    private string Provided() =>
        $"'{PromptColumnName}' ({InputSchema[PromptColumnName].Type}) and '{Sample.Name}' ({InputSchema[Sample.Name].Type})";

    /// <summary>Turns a transformer's schema exception into one that names the model, the column and both types.</summary>
    /// <remarks>
    /// The column and types come from schema information (<see cref="RewardInputDiagnosis"/>), never from parsing
    /// <paramref name="ex"/>'s text. Where that information cannot name the column (a missing column of a transformer
    /// that keeps its input names internal, e.g. ONNX or Concatenate) or cannot name a type the transformer accepts,
    /// ML.NET's message is quoted verbatim, unparsed; the original is always the inner exception.
    /// </remarks>
    private ArgumentException InputSchemaError(int m, Exception ex)
    {
        var problem = RewardInputDiagnosis.Diagnose(_models[m].Transformer, InputSchema);
        if (problem is null)
        {
            return new ArgumentException($"{Describe(m)} rejects the scorer's input ({Provided()}): {ex.GetType().Name}: {ex.Message}", "models", ex);
        }

        string who = problem.Stage is null ? Describe(m) : $"{Describe(m)}, stage {problem.Stage} ({problem.StageType}) of its chain,";
        // By trial the type is only one the transformer accepts; ML.NET's own words may list the others.
        string trial = problem.Evidence == RewardInputEvidence.Trial
            ? $" ({problem.Expected} is a type it accepts, found by trying types; ML.NET says: {ex.GetBaseException().Message})"
            : string.Empty;
        var provided = InputSchema.GetColumnOrNull(problem.Column);
        string message;
        if (problem.Provided is null)
        {
            message = $"{who} needs an input column '{problem.Column}' of type {problem.ExpectedDescription}{trial} which the scorer does not provide: it provides {Provided()}.";
        }
        else
        {
            // The failing stage of a chain may read a column an earlier stage made or replaced.
            string source = provided is { } p && p.Type.Equals(problem.Provided)
                ? $"the scorer provides it as {problem.Provided}"
                : $"an earlier stage of its chain makes it {problem.Provided}";
            message = $"{who} needs input column '{problem.Column}' as {problem.ExpectedDescription}{trial}, but {source}.{ShapeHint(problem.Provided, problem.Expected)} The scorer provides {Provided()}.";
        }

        return new ArgumentException(message, "models", ex);
    }

    /// <summary>When only the shape differs (same number of floats), says how to declare the sample column.</summary>
    private string ShapeHint(DataViewType provided, DataViewType expected)
    {
        if (Sample.Kind != RewardSampleKind.Vector
            || provided is not VectorDataViewType { IsKnownSize: true } have
            || expected is not VectorDataViewType { IsKnownSize: true } want
            || have.Size != want.Size
            || !have.ItemType.Equals(want.ItemType))
        {
            return string.Empty;
        }

        return $" Both hold {have.Size} floats: declare the sample column as RewardSampleColumn.Vector(\"{Sample.Name}\", {string.Join(", ", want.Dimensions)}).";
    }
}
