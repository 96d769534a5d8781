using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>
/// Scores generated samples with weighted reward models. For transformer rewards each batch becomes an
/// <see cref="IDataView"/> with the prompt (<c>String</c>, default name "Prompt"), the sample
/// (<see cref="RewardSampleColumn"/>: text, default "Completion", or a float32 vector of fixed shape, e.g. "Image"
/// 3x32x32) and, inside a trainer, the training row's other columns (e.g. "Answer"); every model's transformer is
/// applied to it and its score column read back, one value per row, in order. Function rewards get the same values as
/// <see cref="RewardSample"/>s, without a view.
/// </summary>
/// <remarks>
/// A sample's total is the sum of weight x score over the models that apply to it: a null or NaN score means "not
/// applicable" and is left out of the sum (counted in the iteration's warning). A sample is invalid, and left out of
/// the update, when no model applies to it, when a score is infinite or when the weighted sum overflows.
/// </remarks>
/// <remarks>
/// Call <see cref="ValidateSchema"/> before training so a reward model that cannot read these columns fails at once,
/// with a message naming the model and the column, not after the first generation step. <see cref="Score(IReadOnlyList{string}, IReadOnlyList{string})"/>
/// validates on its first call too. One thread at a time may call <c>Score</c>.
/// </remarks>
public sealed class RewardScorer
{
    private readonly RewardModel[] _models;
    private readonly string[] _names;
    private readonly RewardDatasetColumns _dataset;
    private readonly object _gate = new();
    private bool _validated;

    /// <summary>Creates a scorer; nothing is run until <see cref="ValidateSchema"/> or <c>Score</c>.</summary>
    /// <param name="mlContext">The ML.NET context of the run; required.</param>
    /// <param name="models">At least one reward model; names (explicit or "reward{index}") must be unique.</param>
    /// <param name="sample">The sample column; <see cref="RewardSampleColumn.Text"/>("Completion") when null.</param>
    /// <param name="promptColumnName">Name of the prompt column.</param>
    public RewardScorer(MLContext mlContext, IEnumerable<RewardModel> models, RewardSampleColumn? sample = null, string promptColumnName = "Prompt")
        : this(mlContext, models, RewardDatasetColumns.None, sample, promptColumnName)
    {
    }

    /// <summary>A scorer that also gives rewards the training data's other columns, by prompt.</summary>
    internal RewardScorer(MLContext mlContext, IEnumerable<RewardModel> models, RewardDatasetColumns dataset, RewardSampleColumn? sample = null, string promptColumnName = "Prompt")
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _dataset = dataset;
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(models);
        if (string.IsNullOrWhiteSpace(promptColumnName))
        {
            throw new ArgumentException("promptColumnName must name the prompt column.", nameof(promptColumnName));
        }

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

        var schema = new DataViewSchema.Builder();
        schema.AddColumn(PromptColumnName, TextDataViewType.Instance);
        schema.AddColumn(Sample.Name, Sample.DataViewType);
        for (int i = 0; i < dataset.Names.Count; i++)
        {
            if (dataset.Names[i] == PromptColumnName || dataset.Names[i] == Sample.Name)
            {
                throw new ArgumentException($"Dataset column '{dataset.Names[i]}' has the name of the prompt or sample column.", nameof(dataset));
            }

            schema.AddColumn(dataset.Names[i], dataset.Types[i]);
        }

        InputSchema = schema.ToSchema();
    }

    /// <summary>The reward models, in order.</summary>
    public IReadOnlyList<RewardModel> Models => _models;

    /// <summary>Each model's name as used in <see cref="RewardBatch.PerModel"/> and in messages.</summary>
    public IReadOnlyList<string> ModelNames => _names;

    /// <summary>The sample column.</summary>
    public RewardSampleColumn Sample { get; }

    /// <summary>Name of the prompt column.</summary>
    public string PromptColumnName { get; }

    /// <summary>The schema every reward model is given: prompt (<c>String</c>), sample, then (inside a trainer) the
    /// training data's other columns.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>
    /// Checks, without scoring anything, that every transformer reward accepts <see cref="InputSchema"/> and outputs its
    /// score column as <c>Single</c> or a <c>Single</c> vector of length 1, and that every column a function reward
    /// declares (<c>columns:</c>) is in <see cref="InputSchema"/>.
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
                if (_models[i].Function is { } function)
                {
                    RequireDeclaredColumns(i, function);
                    continue;
                }

                DataViewSchema output;
                try
                {
                    output = _models[i].Transformer!.GetOutputSchema(InputSchema);
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
        for (int i = 0; i < n; i++)
        {
            _ = completions[i] ?? throw new ArgumentException($"Completion at index {i} is null.", nameof(completions));
        }

        return ScoreBatch(prompts, n, RewardColumnData.Text(completions), completions, null);
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
        for (int i = 0; i < n; i++)
        {
            float[] sample = samples[i] ?? throw new ArgumentException($"Sample at index {i} is null.", nameof(samples));
            if (sample.Length != Sample.Length)
            {
                throw new ArgumentException($"Sample at index {i} has {sample.Length} values; column {Sample} needs {Sample.Length} ({string.Join("x", Sample.Dimensions)}).", nameof(samples));
            }
        }

        return ScoreBatch(prompts, n, RewardColumnData.Floats(samples), null, samples);
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

    /// <summary>Scores one batch with every model and sums the applicable weighted scores per sample.</summary>
    /// <param name="prompts">The batch's prompts.</param>
    /// <param name="n">Number of samples.</param>
    /// <param name="samples">The samples as a view column.</param>
    /// <param name="completions">The text samples, or null.</param>
    /// <param name="images">The vector samples, or null.</param>
    private RewardBatch ScoreBatch(IReadOnlyList<string> prompts, int n, RewardColumnData samples, IReadOnlyList<string>? completions, IReadOnlyList<float[]>? images)
    {
        ValidateSchema();
        var rowOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            rowOf[i] = _dataset.RowOf(prompts[i]);
        }

        RewardSample[]? functionInput = null;
        IDataView? view = null;
        var perModel = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var scores = new float[_models.Length][];
        for (int m = 0; m < _models.Length; m++)
        {
            if (n == 0)
            {
                scores[m] = Array.Empty<float>();
            }
            else if (_models[m].Function is { } function)
            {
                functionInput ??= Enumerable.Range(0, n)
                    .Select(i => new RewardSample(prompts[i], completions?[i], images?[i], _dataset.Row(rowOf[i])))
                    .ToArray();
                scores[m] = RunFunction(m, function, functionInput);
            }
            else
            {
                view ??= BuildView(prompts, n, samples, rowOf);
                scores[m] = RunModel(m, view, n);
            }

            perModel.Add(_names[m], scores[m]);
        }

        var totals = new float[n];
        var valid = new bool[n];
        for (int r = 0; r < n; r++)
        {
            // Sum over the models that apply (score not NaN); an infinite score or a float overflow invalidates.
            double total = 0;
            bool applies = false, infinite = false;
            for (int m = 0; m < _models.Length; m++)
            {
                float score = scores[m][r];
                if (float.IsNaN(score))
                {
                    continue;
                }

                infinite |= float.IsInfinity(score);
                applies = true;
                total += _models[m].Weight * score;
            }

            totals[r] = (float)total;
            valid[r] = applies && !infinite && float.IsFinite(totals[r]);
            if (!valid[r])
            {
                totals[r] = float.NaN;
            }
        }

        return new RewardBatch(totals, perModel, valid);
    }

    private IDataView BuildView(IReadOnlyList<string> prompts, int n, RewardColumnData samples, int[] rowOf)
    {
        var identity = Enumerable.Range(0, n).ToArray();
        var data = new List<RewardColumnData> { RewardColumnData.Text(prompts), samples };
        var rows = new List<IReadOnlyList<int>> { identity, identity };
        for (int c = 0; c < _dataset.Names.Count; c++)
        {
            data.Add(_dataset.Data(c));
            rows.Add(rowOf);
        }

        return new RewardInputView(InputSchema, data.ToArray(), rows.ToArray(), n);
    }

    private float[] RunFunction(int m, FunctionReward function, RewardSample[] samples)
    {
        float?[] result;
        try
        {
            result = function.Score(samples, Describe(m));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The async reward's own message already names the reward and each attempt: keep it whole.
            if (function is AsyncFunctionReward && ex is InvalidOperationException)
            {
                throw;
            }

            throw ScoringError(m, samples.Length, ex);
        }

        if (result is null || result.Length != samples.Length)
        {
            throw new InvalidOperationException($"{Describe(m)} returned {(result is null ? "null" : result.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))} scores for {samples.Length} samples; a reward function must return one score (or null for 'not applicable') per sample, in order.");
        }

        return result.Select(v => v ?? float.NaN).ToArray();
    }

    private void RequireDeclaredColumns(int m, FunctionReward function)
    {
        foreach (string column in function.Columns)
        {
            if (InputSchema.GetColumnOrNull(column) is null)
            {
                throw new ArgumentException(
                    $"{Describe(m)} reads column '{column}' (declared in columns:), which the training data does not have: the scorer provides {Provided()}. " +
                    "Add the column to the training data, or fix the name (column names are case-sensitive).", "models");
            }
        }
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
            output = _models[m].Transformer!.Transform(input);
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

    private string Provided()
    {
        var columns = InputSchema.Select(c => $"'{c.Name}' ({c.Type})").ToList();
        return columns.Count == 1 ? columns[0] : $"{string.Join(", ", columns.Take(columns.Count - 1))} and {columns[^1]}";
    }

    /// <summary>Turns a transformer's schema exception into one that names the model, the column and both types.</summary>
    /// <remarks>
    /// The column and types come from schema information (<see cref="RewardInputDiagnosis"/>), never from parsing
    /// <paramref name="ex"/>'s text. Where that information cannot name the column (a missing column of a transformer
    /// that keeps its input names internal, e.g. ONNX or Concatenate) or cannot name a type the transformer accepts,
    /// ML.NET's message is quoted verbatim, unparsed; the original is always the inner exception.
    /// </remarks>
    private ArgumentException InputSchemaError(int m, Exception ex)
    {
        var problem = RewardInputDiagnosis.Diagnose(_models[m].Transformer!, InputSchema);
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
