// MiniGenEval scores of the embedded base generator on MiniDrawBench's held-out prompts (split seed 2026), next to
// rendered ground truth and the learned match score of the same images.
//   dotnet run --project benchmarks/Adrpo.Benchmarks -c Release -- geneval [samplesPerPrompt=8] [odeSteps=20] [guidance=1] [seed=2026]
// The generation settings are those of samples/Adrpo.Samples.TextToImage and the trainer's defaults (Euler, 20 steps,
// no guidance) unless given.
using System.Diagnostics;
using System.Globalization;
using Adrpo.Embedded.MiniDrawBench;
using Adrpo.Generation;
using Adrpo.Text;
using DrawBench = Adrpo.Data.MiniDrawBench.MiniDrawBench;

namespace Adrpo.Benchmarks;

internal static class GenEvalBaseline
{
    public static void Run(string[] args)
    {
        int samples = Bench.IntArg(args, 1, 8), steps = Bench.IntArg(args, 2, 20), seed = Bench.IntArg(args, 4, 2026);
        double guidance = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1.0;
        var clock = Stopwatch.StartNew();
        TorchSharp.torch.set_num_threads(Math.Min(Environment.ProcessorCount, 2));
        using var encoder = EmbeddedMiniDrawBench.CreateTextEncoder();
        var generator = new FlowMatchingGeneratorTransformer(
            EmbeddedMiniDrawBench.LoadGenerator(), encoder, new GenerationSettings { Seed = seed, OdeSteps = steps, GuidanceScale = guidance });
        var (_, test) = DrawBench.Split(seed: 2026);
        var prompts = test.SelectMany(p => Enumerable.Repeat(p.Text, samples)).ToList();
        var images = generator.Generate(prompts);
        var random = new Random(seed);
        var truth = test.SelectMany(p => Enumerable.Range(0, samples).Select(_ => DrawBench.Render(p.Scene, random))).ToList();

        var generated = MiniGenEval.Evaluate(prompts, images);
        var rendered = MiniGenEval.Evaluate(prompts, truth);
        using var scorer = EmbeddedMiniDrawBench.LoadMatchScorer(encoder);
        double match = scorer.Score(prompts, images).Average(), matchTruth = scorer.Score(prompts, truth).Average();

        Console.WriteLine($"MiniGenEval on {test.Count} held-out prompts x {samples} samples (split seed 2026); Euler {steps} steps, guidance {guidance}, seed {seed}; {clock.Elapsed.TotalSeconds:F0} s");
        Console.WriteLine("| category | base generator | rendered ground truth | images |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, g, t) in new[]
                 {
                     ("single_object", generated.SingleObject, rendered.SingleObject), ("two_object", generated.TwoObjects, rendered.TwoObjects),
                     ("counting", generated.Counting, rendered.Counting), ("colors", generated.Colors, rendered.Colors),
                     ("position", generated.Position, rendered.Position), ("color_attr", generated.ColorAttribution, rendered.ColorAttribution),
                 })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {g:F3} | {t:F3} | {generated.ImagesPerCategory[name]} |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| overall (mean of categories) | {generated.Overall:F3} | {rendered.Overall:F3} | {generated.Images} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| exactly right, all images | {generated.Correct:F3} | {rendered.Correct:F3} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| mean partial credit (the reward) | {generated.MeanScore:F3} | {rendered.MeanScore:F3} | |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| learned match score (for comparison) | {match:F3} | {matchTruth:F3} | |"));

        // What a group-relative advantage sees: the spread of the partial-credit reward among one prompt's samples.
        var credit = prompts.Select((p, i) => (double)MiniGenEval.Score(p, images[i])).ToList();
        var spreads = Enumerable.Range(0, test.Count).Select(g => credit.Skip(g * samples).Take(samples).ToList())
            .Select(group => Math.Sqrt(group.Average(c => (c - group.Average()) * (c - group.Average())))).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Partial credit within a prompt's {samples} samples: mean standard deviation {spreads.Average():F3}; prompts whose samples all score alike {spreads.Count(s => s < 1e-9)} of {test.Count}; largest sample score {credit.Max():F3}"));

        // The held-out split has a single count-1 prompt, so single object and colours are also measured on all 24
        // count-1 prompts (22 of them seen in pre-training).
        var singles = DrawBench.AllPrompts().Where(p => p.Scene.Count == 1 && p.Category == Adrpo.Data.MiniDrawBench.PromptCategory.Counting)
            .SelectMany(p => Enumerable.Repeat(p.Text, samples)).ToList();
        var all = MiniGenEval.Evaluate(singles, generator.Generate(singles, firstRow: 1_000_000));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"All 24 count-1 prompts x {samples}: single_object {all.SingleObject:F3}, colors {all.Colors:F3}, mean partial credit {all.MeanScore:F3}; {clock.Elapsed.TotalSeconds:F0} s in all"));
    }
}
