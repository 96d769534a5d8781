using Adrpo.Models;
using Adrpo.Text;
using Adrpo.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Adrpo.Generation;

/// <summary>
/// The fine-tuned generator as an ML.NET transformer: <see cref="Transform"/> adds a column holding one generated
/// sample per row (a Single vector shaped like the generator's sample, values in [-1, 1]). Generation is lazy and
/// batched: samples are produced only when a cursor reaches the rows and the output column is requested.
/// Row i always starts from the same noise, so a transform is reproducible.
/// </summary>
public sealed partial class FlowMatchingGeneratorTransformer : ITransformer
{
    /// <summary>Wraps a generator (fine-tuned or not, e.g. the reference model for comparison) as a transformer.</summary>
    /// <param name="generator">The velocity model.</param>
    /// <param name="textEncoder">The prompt encoder it was trained with.</param>
    /// <param name="settings">Columns, solver, steps, guidance, batch size and seed.</param>
    public FlowMatchingGeneratorTransformer(IConditionalVelocityModel generator, ITextEncoder textEncoder, GenerationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(textEncoder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (generator.ConditionDimension != textEncoder.Dimension)
        {
            throw new ArgumentException($"The generator expects {generator.ConditionDimension}-d conditions, but the text encoder produces {textEncoder.Dimension}-d embeddings.", nameof(textEncoder));
        }

        Generator = generator;
        TextEncoder = textEncoder;
        Settings = settings;
    }

    /// <summary>The fine-tuned velocity model.</summary>
    public IConditionalVelocityModel Generator { get; }

    /// <summary>The frozen prompt encoder.</summary>
    public ITextEncoder TextEncoder { get; }

    /// <summary>Generation settings (columns, solver, steps, guidance, batch size, seed).</summary>
    public GenerationSettings Settings { get; }

    /// <summary>False: rows are generated in batches, which a row-to-row mapper cannot do.</summary>
    public bool IsRowToRowMapper => false;

    /// <summary>The output column's type.</summary>
    public VectorDataViewType OutputType => new(NumberDataViewType.Single, Generator.SampleShape.Select(d => (int)d).ToArray());

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PromptReader.Find(inputSchema, Settings.PromptColumnName);
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        builder.AddColumn(Settings.OutputColumnName, OutputType);
        return builder.ToSchema();
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchGeneratedDataView<float[], VBuffer<float>>(input, GetOutputSchema(input.Schema), Settings.PromptColumnName, Settings.BatchSize, GenerateBatch, WriteImage);
    }

    private static VBuffer<float> WriteImage(float[] sample, VBuffer<float> value)
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
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"ML.NET's model zip cannot hold third-party transformers. Save the generator with {nameof(FlowMatchingGeneratorTransformer)}.{nameof(Save)}(folder) and load it with {nameof(FlowMatchingGeneratorTransformer)}.{nameof(Load)}(folder, textEncoder).");

    /// <summary>Generates one sample per prompt, with the noise of rows <paramref name="firstRow"/>, firstRow + 1, ...</summary>
    /// <returns>One float array (C*H*W values in [-1, 1]) per prompt.</returns>
    public float[][] Generate(IReadOnlyList<string> prompts, long firstRow = 0)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var result = new List<float[]>(prompts.Count);
        for (int start = 0; start < prompts.Count; start += Settings.BatchSize)
        {
            var batch = prompts.Skip(start).Take(Settings.BatchSize).ToList();
            result.AddRange(GenerateBatch(batch, firstRow + start));
        }

        return result.ToArray();
    }

    internal float[][] GenerateBatch(IReadOnlyList<string> prompts, long firstRow)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Generator.SetTraining(false);
        var conditions = TextEncoder.Encode(prompts);
        var noise = cat(Enumerable.Range(0, prompts.Count).Select(i => RowNoise(firstRow + i)).ToList(), 0);
        var shape = new[] { (long)prompts.Count }.Concat(Generator.SampleShape).ToArray();
        var unconditional = zeros_like(conditions);
        Tensor Velocity(Tensor x, Tensor t) => Settings.GuidanceScale == 1.0
            ? Generator.Forward(x, t, conditions)
            : Sampling.FlowOdeSampler.Guide(Generator.Forward(x, t, conditions), Generator.Forward(x, t, unconditional), Settings.GuidanceScale);
        var samples = Sampling.FlowOdeSampler.Sample(Velocity, noise.reshape(shape), Settings.OdeSteps, Settings.Solver);
        using var flat = samples.reshape(prompts.Count, -1).cpu().contiguous();
        float[] all = flat.data<float>().ToArray();
        int width = (int)flat.shape[1];
        return Enumerable.Range(0, prompts.Count).Select(i => all.AsSpan(i * width, width).ToArray()).ToArray();
    }

    private Tensor RowNoise(long row)
    {
        // One generator per row: the same row gets the same noise whatever the batch size or cursor.
        var generator = new Generator(unchecked(((ulong)(uint)Settings.Seed * 1_000_003UL) + (ulong)row));
        return randn(new[] { 1L }.Concat(Generator.SampleShape).ToArray(), generator: generator);
    }
}
