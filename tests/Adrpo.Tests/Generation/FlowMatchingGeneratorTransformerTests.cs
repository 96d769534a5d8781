using System.Text.Json.Nodes;
using Adrpo.Generation;
using Adrpo.Tests.Training.FlowMatching;
using Microsoft.ML;
using Microsoft.ML.Data;
using static Adrpo.Tests.Training.FlowMatching.FlowMatchingTestFixtures;

namespace Adrpo.Tests.Generation;

[TestClass]
public sealed class FlowMatchingGeneratorTransformerTests
{
    private const int SampleSize = 3 * 8 * 8;

    // Same noise, other batch compositions: CPU GEMM may sum in another order (and rounds differently between calls
    // at other buffer alignments), so equal samples agree to float32 rounding.
    private const double Rounding = 1e-5;

    private static readonly string[] Prompts5 = TrainPrompts.Append(TestPrompts[0]).ToArray();

    [TestMethod]
    public void ThreeSamplesPerPromptAddAnImagesColumnAndKeepImageAndTheRows()
    {
        var context = new MLContext(seed: 1);
        var encoder = new HashingTextEncoder();
        var generator = Transformer(encoder, samplesPerPrompt: 3, batchSize: 4);
        var input = Prompts(context, Prompts5);

        var schema = generator.GetOutputSchema(input.Schema);
        var transformed = generator.Transform(input);
        Assert.HasCount(3, transformed.Schema);
        foreach (var s in new[] { schema, transformed.Schema })
        {
            Assert.AreEqual("Prompt", s[0].Name);
            var image = (VectorDataViewType)s["Image"].Type;
            var images = (VectorDataViewType)s["Images"].Type;
            Assert.AreEqual(NumberDataViewType.Single, image.ItemType);
            CollectionAssert.AreEqual(new[] { 3, 8, 8 }, image.Dimensions.ToArray());
            Assert.AreEqual(NumberDataViewType.Single, images.ItemType);
            CollectionAssert.AreEqual(new[] { 3, 3, 8, 8 }, images.Dimensions.ToArray());
            Assert.AreEqual(3 * SampleSize, images.Size);
        }

        Assert.AreEqual(generator.OutputType, transformed.Schema["Image"].Type);
        Assert.AreEqual(generator.SamplesType, transformed.Schema["Images"].Type);
        Assert.AreEqual(Prompts5.Length, transformed.GetRowCount());
        Assert.AreEqual(0, encoder.Calls, "Transform generates nothing until rows are read");

        var (firsts, all) = Read(transformed);
        Assert.HasCount(Prompts5.Length, all);
        Assert.IsTrue(encoder.Calls > 0);
        for (int r = 0; r < all.Count; r++)
        {
            Assert.HasCount(3 * SampleSize, all[r]);
            CollectionAssert.AreEqual(all[r].Take(SampleSize).ToArray(), firsts[r], "Image is sample 0 of Images");
            Assert.IsTrue(all[r].All(v => float.IsFinite(v)));
            Assert.IsFalse(all[r].AsSpan(0, SampleSize).SequenceEqual(all[r].AsSpan(SampleSize, SampleSize)), "samples of a prompt start from different noise");
        }

        // Reading Images alone generates too; reading only the prompts generates nothing.
        int calls = encoder.Calls;
        using (var cursor = transformed.GetRowCursor(new[] { transformed.Schema["Prompt"] }))
        {
            while (cursor.MoveNext())
            {
            }
        }

        Assert.AreEqual(calls, encoder.Calls);

        // One sample per prompt: no Images column.
        var one = Transformer(encoder, samplesPerPrompt: 1);
        Assert.IsNull(one.SamplesType);
        Assert.IsNull(one.GetOutputSchema(input.Schema).GetColumnOrNull("Images"));
        Assert.HasCount(2, one.Transform(input).Schema);
    }

    [TestMethod]
    public void SampleJOfRowIDependsOnlyOnSeedRowAndJ()
    {
        var context = new MLContext(seed: 1);
        var input = Prompts(context, Prompts5);
        var (_, batch1) = Read(Transformer(new HashingTextEncoder(), samplesPerPrompt: 3, batchSize: 1).Transform(input));
        var (_, batch7) = Read(Transformer(new HashingTextEncoder(), samplesPerPrompt: 3, batchSize: 7).Transform(input));
        AssertClose(batch1, batch7, "batch size 1 (one sample per pass) vs 7 (prompts split across passes)");

        // The convenience method returns the same samples, [prompt][sample], for the same rows.
        var generator = Transformer(new HashingTextEncoder(), samplesPerPrompt: 1, batchSize: 2);
        var samples = generator.GenerateSamples(Prompts5, 3);
        Assert.HasCount(Prompts5.Length, samples);
        Assert.IsTrue(samples.All(s => s.Length == 3 && s.All(x => x.Length == SampleSize)));
        AssertClose(batch1, samples.Select(s => s.SelectMany(x => x).ToArray()).ToList(), "GenerateSamples = Transform");
        var shifted = generator.GenerateSamples(Prompts5.Skip(2).ToList(), 3, firstRow: 2);
        AssertClose(batch1.Skip(2).ToList(), shifted.Select(s => s.SelectMany(x => x).ToArray()).ToList(), "firstRow selects the rows' noise");

        // Sample 0 is the one-sample generator's sample, and the first 2 of 3 samples are a 2-sample generator's.
        var (single, _) = Read(Transformer(new HashingTextEncoder(), samplesPerPrompt: 1).Transform(input));
        AssertClose(batch1.Select(s => s.Take(SampleSize).ToArray()).ToList(), single, "sample 0 = one sample per prompt");
        AssertClose(batch1.Select(s => s.Take(SampleSize).ToArray()).ToList(), generator.Generate(Prompts5).ToList(), "Generate returns sample 0");
        var (_, two) = Read(Transformer(new HashingTextEncoder(), samplesPerPrompt: 2, batchSize: 3).Transform(input));
        AssertClose(batch1.Select(s => s.Take(2 * SampleSize).ToArray()).ToList(), two, "2 samples = the first 2 of 3");
    }

    [TestMethod]
    public void SavedAndLoadedThreeSampleGeneratorGeneratesTheSameSamples()
    {
        var context = new MLContext(seed: 1);
        var encoder = new HashingTextEncoder();
        var input = Prompts(context, TestPrompts);
        var tiny = Transformer(encoder, samplesPerPrompt: 3, batchSize: 5);
        var generator = new FlowMatchingGeneratorTransformer(tiny.Generator, encoder, tiny.Settings with { SamplesColumnName = "Pictures" });
        var (_, before) = Read(generator.Transform(input), "Pictures");
        string folder = TempFolder();
        try
        {
            generator.Save(folder);
            var loaded = FlowMatchingGeneratorTransformer.Load(folder, encoder);
            Assert.AreEqual(generator.Settings, loaded.Settings);
            Assert.AreEqual(3, loaded.Settings.SamplesPerPrompt);
            Assert.AreEqual("Pictures", loaded.Settings.SamplesColumnName);
            var (_, after) = Read(loaded.Transform(input), "Pictures");
            AssertClose(before, after, "a saved and loaded generator generates the same samples");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SettingsFileWithoutSamplesPerPromptLoadsWithOneSample()
    {
        var encoder = new HashingTextEncoder();
        string folder = TempFolder();
        try
        {
            Transformer(encoder, samplesPerPrompt: 1).Save(folder);
            string path = Path.Combine(folder, FlowMatchingGeneratorTransformer.GenerationConfigFileName);

            // The settings file as written before samples_per_prompt and samples_column existed.
            File.WriteAllText(path, """
                {
                  "prompt_column": "Prompt",
                  "output_column": "Image",
                  "solver": "Euler",
                  "ode_steps": 3,
                  "guidance_scale": 1,
                  "batch_size": 16,
                  "seed": 5
                }
                """);
            var loaded = FlowMatchingGeneratorTransformer.Load(folder, encoder);
            Assert.AreEqual(1, loaded.Settings.SamplesPerPrompt);
            Assert.AreEqual("Images", loaded.Settings.SamplesColumnName);
            Assert.AreEqual(new GenerationSettings { OdeSteps = 3, Seed = 5 }, loaded.Settings);
            var schema = loaded.Transform(Prompts(new MLContext(seed: 1), TestPrompts)).Schema;
            Assert.HasCount(2, schema);
            Assert.IsNull(schema.GetColumnOrNull("Images"));

            // A file with an invalid count names the setting and the file.
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            json["samples_per_prompt"] = 0;
            File.WriteAllText(path, json.ToJsonString());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => FlowMatchingGeneratorTransformer.Load(folder, encoder));
            StringAssert.Contains(e.Message, "samples_per_prompt' is 0; expected at least 1");
            StringAssert.Contains(e.Message, path);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void InvalidSamplesPerPromptIsRejectedNamingIt()
    {
        var model = PretrainedTinyDit();
        foreach (int bad in new[] { 0, -3 })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => new FlowMatchingGeneratorTransformer(model, new HashingTextEncoder(), new GenerationSettings { SamplesPerPrompt = bad }));
            Assert.AreEqual("samples_per_prompt", e.ParamName);
            StringAssert.Contains(e.Message, $"Generation setting 'samples_per_prompt' is {bad}; expected at least 1");
        }

        Assert.AreEqual("batch_size", Assert.ThrowsExactly<ArgumentException>(() => new FlowMatchingGeneratorTransformer(model, new HashingTextEncoder(), new GenerationSettings { BatchSize = 0 })).ParamName);
        var generator = Transformer(new HashingTextEncoder(), samplesPerPrompt: 1);
        Assert.AreEqual("samplesPerPrompt", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => generator.GenerateSamples(TestPrompts, 0)).ParamName);

        // With N > 1 the samples column must not hide the image column.
        var clash = new GenerationSettings { SamplesPerPrompt = 2, SamplesColumnName = "Image" };
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => new FlowMatchingGeneratorTransformer(generator.Generator, generator.TextEncoder, clash));
        StringAssert.Contains(e2.Message, "Generation setting 'samples_column' is 'Image'; expected a column name other than output_column ('Image')");
    }

    internal static FlowMatchingGeneratorTransformer Transformer(HashingTextEncoder encoder, int samplesPerPrompt, int batchSize = 16) =>
        new(PretrainedTinyDit(), encoder, new GenerationSettings { Seed = 5, OdeSteps = 3, BatchSize = batchSize, SamplesPerPrompt = samplesPerPrompt });

    /// <summary>The Image column and, when present, the samples column of every row.</summary>
    internal static (List<float[]> First, List<float[]> All) Read(IDataView transformed, string samplesColumn = "Images")
    {
        var image = transformed.Schema["Image"];
        var samples = transformed.Schema.GetColumnOrNull(samplesColumn);
        using var cursor = transformed.GetRowCursor(samples is { } c ? new[] { image, c } : new[] { image });
        var imageGetter = cursor.GetGetter<VBuffer<float>>(image);
        var samplesGetter = samples is { } s ? cursor.GetGetter<VBuffer<float>>(s) : null;
        var first = new List<float[]>();
        var all = new List<float[]>();
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            imageGetter(ref value);
            first.Add(value.DenseValues().ToArray());
            if (samplesGetter is not null)
            {
                samplesGetter(ref value);
                all.Add(value.DenseValues().ToArray());
            }
        }

        return (first, all);
    }

    private static void AssertClose(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual, string message)
    {
        Assert.HasCount(expected.Count, actual, message);
        for (int r = 0; r < expected.Count; r++)
        {
            Assert.HasCount(expected[r].Length, actual[r], message);
            for (int i = 0; i < expected[r].Length; i++)
            {
                Assert.AreEqual(expected[r][i], actual[r][i], Rounding, $"{message}: row {r}, value {i}");
            }
        }
    }

    private static string TempFolder() => Path.Combine(Path.GetTempPath(), "adrpo-gen-samples-" + Guid.NewGuid().ToString("N"));
}
