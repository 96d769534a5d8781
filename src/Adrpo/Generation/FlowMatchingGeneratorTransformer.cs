using Adrpo.Models;
using Adrpo.Native;
using Adrpo.Persistence;
using Adrpo.Text;
using Adrpo.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Generation;

/// <summary>
/// The fine-tuned generator as an ML.NET transformer: <see cref="Transform"/> adds a column holding one generated
/// sample per row (a Single vector shaped like the generator's sample, values in [-1, 1]) and, when
/// <see cref="GenerationSettings.SamplesPerPrompt"/> N is above 1, a second column holding all N samples of the row
/// (dimensions [N, C, H, W]; the first column then holds sample 0). Generation is lazy and batched: samples are
/// produced only when a cursor reaches the rows and a generated column is requested. Sample j of row i always
/// starts from the same noise, whatever the batch size, so a transform is reproducible.
/// </summary>
/// <remarks>
/// N samples per prompt are columns, not N output rows: an ML.NET transformer keeps its input's rows (cursors,
/// row ids and the input columns stay aligned), and a fixed-size [N, C, H, W] vector keeps each prompt's group
/// together for group metrics. The [C, H, W] column stays for every N so that reward models, exporters and
/// pipelines written for one image per row are unaffected by N.
/// </remarks>
public sealed partial class FlowMatchingGeneratorTransformer : ITransformer
{
    /// <summary>Wraps a generator (fine-tuned or not, e.g. the reference model for comparison) as a transformer.</summary>
    /// <param name="generator">The velocity model.</param>
    /// <param name="textEncoder">The prompt encoder it was trained with.</param>
    /// <param name="settings">Columns, solver, steps, guidance, batch size and seed.</param>
    /// <remarks>Generation runs on the generator's device (that of its first parameter, at each call; CPU when it has
    /// none): move the generator to move generation. Noise is drawn on the CPU either way, so a seed gives the same
    /// starting points on every device. A transformer returned by <c>AdrpoFlowMatchingTrainer.Fit</c> runs on the
    /// device its MLContext selected (it moves the generator back there if it was moved since).</remarks>
    public FlowMatchingGeneratorTransformer(IConditionalVelocityModel generator, ITextEncoder textEncoder, GenerationSettings settings)
        : this(generator, textEncoder, settings, null)
    {
    }

    /// <summary>The trainer's constructor: <paramref name="device"/> is the device the trainer chose (null: the generator's).</summary>
    internal FlowMatchingGeneratorTransformer(IConditionalVelocityModel generator, ITextEncoder textEncoder, GenerationSettings settings, Device? device)
    {
        _device = device;
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(textEncoder);
        ArgumentNullException.ThrowIfNull(settings);
        TorchRuntime.EnsureAvailable();
        settings.Validate();
        if (generator.ConditionDimension != textEncoder.Dimension)
        {
            throw new ArgumentException($"The generator expects {generator.ConditionDimension}-d conditions, but the text encoder produces {textEncoder.Dimension}-d embeddings.", nameof(textEncoder));
        }

        Generator = generator;
        TextEncoder = textEncoder;
        Settings = settings;
    }

    private readonly Device? _device;

    /// <summary>The fine-tuned velocity model.</summary>
    public IConditionalVelocityModel Generator { get; }

    /// <summary>The frozen prompt encoder.</summary>
    public ITextEncoder TextEncoder { get; }

    /// <summary>Generation settings (columns, solver, steps, guidance, batch size, seed, samples per prompt).</summary>
    public GenerationSettings Settings { get; }

    /// <summary>False: rows are generated in batches, which a row-to-row mapper cannot do.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>The type of <see cref="GenerationSettings.OutputColumnName"/>: one sample (sample 0), dimensions [C, H, W].</summary>
    public VectorDataViewType OutputType => new(NumberDataViewType.Single, Generator.SampleShape.Select(d => (int)d).ToArray());

    /// <summary>
    /// The type of <see cref="GenerationSettings.SamplesColumnName"/>: all N samples of a row, dimensions [N, C, H, W],
    /// sample j at offset j * C * H * W; null when <see cref="GenerationSettings.SamplesPerPrompt"/> is 1 (no such column).
    /// </summary>
    public VectorDataViewType? SamplesType => Settings.SamplesPerPrompt > 1
        ? new(NumberDataViewType.Single, Generator.SampleShape.Select(d => (int)d).Prepend(Settings.SamplesPerPrompt).ToArray())
        : null;

    private int SampleSize => (int)Generator.SampleShape.Aggregate(1L, (a, b) => a * b);

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PromptReader.Find(inputSchema, Settings.PromptColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(Settings.OutputColumnName, OutputType);
        if (SamplesType is { } samplesType)
        {
            builder.AddColumn(Settings.SamplesColumnName, samplesType);
        }

        return builder.ToSchema();
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int samplesPerPrompt = Settings.SamplesPerPrompt;
        int sampleSize = SampleSize;

        // A row's generated value holds its N samples one after the other: the first column copies sample 0, the
        // second (N > 1 only) all of them. Whole prompts per batch, BatchSize samples per forward pass at most.
        var writers = new List<Func<float[], VBuffer<float>, VBuffer<float>>> { (samples, value) => WriteImage(samples.AsSpan(0, sampleSize), value) };
        if (samplesPerPrompt > 1)
        {
            writers.Add((samples, value) => WriteImage(samples, value));
        }

        int promptsPerBatch = Math.Max(1, Settings.BatchSize / samplesPerPrompt);
        return new BatchGeneratedDataView<float[], VBuffer<float>>(input, GetOutputSchema(input.Schema), Settings.PromptColumnName, promptsPerBatch, (prompts, firstRow) => GenerateRows(prompts, firstRow, samplesPerPrompt), writers);
    }

    private static VBuffer<float> WriteImage(ReadOnlySpan<float> sample, VBuffer<float> value)
    {
        var editor = VBufferEditor.Create(ref value, sample.Length);
        sample.CopyTo(editor.Values);
        return editor.Commit();
    }

    /// <summary>Not supported: generation is batched (see <see cref="IsRowToRowMapper"/>).</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{nameof(FlowMatchingGeneratorTransformer)} generates in batches and is not a row-to-row mapper; use Transform.");

    /// <summary>
    /// Not supported: ML.NET's model zip is closed to third-party transformers (ModelSaveContext has no public
    /// members). Use <see cref="Save(string)"/> and <see cref="Load"/> instead.
    /// </summary>
    /// <remarks>Removes the model file ML.NET has already created, so no partial zip is left (see <see cref="ModelZipRefusal"/>).</remarks>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw ModelZipRefusal.Refuse(ctx, nameof(FlowMatchingGeneratorTransformer), $"{nameof(FlowMatchingGeneratorTransformer)}.{nameof(Save)}(folder) and {nameof(FlowMatchingGeneratorTransformer)}.{nameof(Load)}(folder, textEncoder)");

    /// <summary>Generates one sample per prompt, with the noise of rows <paramref name="firstRow"/>, firstRow + 1, ...</summary>
    /// <returns>One float array (C*H*W values in [-1, 1]) per prompt: sample 0 of each row, whatever <see cref="GenerationSettings.SamplesPerPrompt"/>.</returns>
    public float[][] Generate(IReadOnlyList<string> prompts, long firstRow = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return GenerateRows(prompts, firstRow, 1);
    }

    /// <summary>
    /// Generates <paramref name="samplesPerPrompt"/> samples per prompt; prompt i is row <paramref name="firstRow"/> + i,
    /// so its samples are those of <see cref="Transform"/> for that row (sample 0 is what <see cref="Generate"/> returns).
    /// </summary>
    /// <param name="prompts">The prompts.</param>
    /// <param name="samplesPerPrompt">Samples per prompt, N; at least 1. Independent of <see cref="GenerationSettings.SamplesPerPrompt"/>.</param>
    /// <param name="firstRow">Row index of the first prompt (selects the noise).</param>
    /// <returns>
    /// Indexed [prompt][sample]: <c>result[i][j]</c> is sample j of prompt i, a float array of C*H*W values in [-1, 1].
    /// Flatten with <c>SelectMany</c> for a prompt-major list (all samples of prompt 0, then of prompt 1, ...).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samplesPerPrompt"/> is below 1.</exception>
    public float[][][] GenerateSamples(IReadOnlyList<string> prompts, int samplesPerPrompt, long firstRow = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerPrompt, 1);
        int size = SampleSize;
        return GenerateRows(prompts, firstRow, samplesPerPrompt)
            .Select(row => Enumerable.Range(0, samplesPerPrompt).Select(j => row.AsSpan(j * size, size).ToArray()).ToArray())
            .ToArray();
    }

    /// <summary>
    /// Generates the samples of rows firstRow, firstRow + 1, ... in forward passes of at most
    /// <see cref="GenerationSettings.BatchSize"/> samples, taken in (row, sample) order.
    /// </summary>
    /// <returns>Per row, its <paramref name="samplesPerPrompt"/> samples one after the other (N * C * H * W values).</returns>
    internal float[][] GenerateRows(IReadOnlyList<string> prompts, long firstRow, int samplesPerPrompt)
    {
        using var threads = ComputeThreadScope.Enter(Settings.ComputeThreads);
        int size = SampleSize;
        var rows = new float[prompts.Count][];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new float[samplesPerPrompt * size];
        }

        long total = (long)prompts.Count * samplesPerPrompt;
        for (long start = 0; start < total; start += Settings.BatchSize)
        {
            int count = (int)Math.Min(Settings.BatchSize, total - start);
            float[] pass = GeneratePass(prompts, firstRow, samplesPerPrompt, start, count);
            for (int k = 0; k < count; k++)
            {
                long at = start + k;
                Array.Copy(pass, (long)k * size, rows[at / samplesPerPrompt], (at % samplesPerPrompt) * size, size);
            }
        }

        return rows;
    }

    /// <summary>One forward pass: samples start .. start + count - 1 of the (row, sample) sequence.</summary>
    /// <returns>The samples, flattened (count * C * H * W values).</returns>
    private float[] GeneratePass(IReadOnlyList<string> prompts, long firstRow, int samplesPerPrompt, long start, int count)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Generator.SetTraining(false);
        int firstIndex = (int)(start / samplesPerPrompt);
        int lastIndex = (int)((start + count - 1) / samplesPerPrompt);
        var passPrompts = new List<string>(lastIndex - firstIndex + 1);
        var noises = new List<Tensor>(count);
        var conditionRows = new long[count];
        for (int i = firstIndex, k = 0; i <= lastIndex; i++)
        {
            passPrompts.Add(prompts[i]);
            int from = (int)Math.Max(0, start - ((long)i * samplesPerPrompt));
            int to = (int)Math.Min(samplesPerPrompt, start + count - ((long)i * samplesPerPrompt));
            noises.AddRange(RowNoise(firstRow + i, from, to - from));
            for (int j = from; j < to; j++)
            {
                conditionRows[k++] = i - firstIndex;
            }
        }

        if (_device is not null)
        {
            new TrainingDevice(_device).Place(Generator);   // the trainer's choice holds even if the generator was moved since
        }

        var device = TrainingDevice.Of(Generator);
        var conditions = TextEncoder.Encode(passPrompts).to(device);
        if (samplesPerPrompt > 1)
        {
            conditions = conditions.index_select(0, tensor(conditionRows, device: conditions.device));
        }

        var noise = cat(noises, 0).to(device);
        var shape = new[] { (long)count }.Concat(Generator.SampleShape).ToArray();
        var unconditional = zeros_like(conditions);
        Tensor Velocity(Tensor x, Tensor t) => Settings.GuidanceScale == 1.0
            ? Generator.Forward(x, t, conditions)
            : Sampling.FlowOdeSampler.Guide(Generator.Forward(x, t, conditions), Generator.Forward(x, t, unconditional), Settings.GuidanceScale);
        var samples = Sampling.FlowOdeSampler.Sample(Velocity, noise.reshape(shape), Settings.OdeSteps, Settings.Solver);
        using var flat = samples.reshape(count, -1).cpu().contiguous();
        return flat.data<float>().ToArray();
    }

    /// <summary>
    /// The starting noise of samples <paramref name="from"/> .. from + count - 1 of a row. Each row has its own
    /// random stream, and sample j is its (j + 1)-th draw of one sample, so the noise of (row, j) is the same whatever
    /// the batch size, the cursor or the number of samples per prompt; sample 0 is the noise of the one-sample design.
    /// </summary>
    private List<Tensor> RowNoise(long row, int from, int count)
    {
        using var generator = new Generator(unchecked(((ulong)(uint)Settings.Seed * 1_000_003UL) + (ulong)row));
        var shape = new[] { 1L }.Concat(Generator.SampleShape).ToArray();
        var noise = new List<Tensor>(count);
        for (int j = 0; j < from + count; j++)
        {
            var draw = randn(shape, generator: generator);
            if (j >= from)
            {
                noise.Add(draw);
            }
            else
            {
                draw.Dispose();
            }
        }

        return noise;
    }
}
