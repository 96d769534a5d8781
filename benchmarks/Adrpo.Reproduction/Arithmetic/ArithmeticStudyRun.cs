using System.Globalization;
using System.Text.RegularExpressions;
using Adrpo.Embedded.Arithmetic;
using Adrpo.Rewards;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Reproduction.Arithmetic;

/// <summary>
/// One run of the arithmetic study: the embedded arithmetic model fine-tuned by ADRPO-GRPO or GRPO (fixed beta) at one
/// beta0, with the advantage clip scaled with it as the paper does (A clipped to [-beta0, beta0]), one seed. The
/// trainer's own evaluation (EvaluationData) measures held-out exact match; its metrics CSV is the run's result.
/// </summary>
internal static partial class ArithmeticStudyRun
{
    public const int PromptsPerIteration = 8, SamplesPerPrompt = 8, MaxNewTokens = 36, HeldOutProblems = 100, HeldOutSamples = 2;
    public const double LearningRate = 1e-4;

    public static string Settings(int iterations, int evalInterval) => string.Create(CultureInfo.InvariantCulture,
        $"{iterations} iterations x {PromptsPerIteration} problems x {SamplesPerPrompt} completions ({MaxNewTokens} new tokens, temperature 1), AdamW lr {LearningRate}, full fine-tuning, group-scaled advantages, eps 0.2; rewards exact answer (1) + 0.2 x format; held-out: the first {HeldOutProblems} held-out problems x {HeldOutSamples} completions at temperature 1 every {evalInterval} iterations, evaluation seed fixed per training seed");

    /// <summary>Trains one run and writes its metrics CSV (one row per iteration, row 0 = before training).</summary>
    public static void Run(string method, double beta0, int seed, int iterations, int evalInterval, string csv)
    {
        var context = new MLContext(seed: seed);
        var accuracy = RewardModel.FromFunction(s => AnswerOf(s.Completion) == s["Answer"] ? 1f : 0f, name: "accuracy", columns: ["Answer"]);
        var format = RewardModel.FromFunction(s => WellFormed().IsMatch(s.Completion.Trim()) ? 1f : 0f, weight: 0.2, name: "format");
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = EmbeddedArithmetic.LoadModel(),
            Tokenizer = EmbeddedArithmetic.LoadTokenizer(),
            RewardModels = { accuracy, format },
            Method = method == ArithmeticStudy.Adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
            Beta0 = beta0,
            MinAdvantage = -beta0,
            MaxAdvantage = beta0,
            Iterations = iterations,
            PromptsPerIteration = PromptsPerIteration,
            SamplesPerPrompt = SamplesPerPrompt,
            MaxNewTokens = MaxNewTokens,
            LearningRate = LearningRate,
            Seed = seed,
            ComputeThreads = 1,
            EvaluationData = context.Data.TakeRows(EmbeddedArithmetic.LoadTestData(context), HeldOutProblems),
            EvaluationInterval = evalInterval,
            EvaluationSamplesPerPrompt = HeldOutSamples,
            MetricsCsvPath = csv,
        };
        context.FineTuning().AdrpoGrpo(options).Fit(EmbeddedArithmetic.LoadTrainData(context));
    }

    private static string? AnswerOf(string completion) => AnswerLine().Match(completion) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"Answer:\s*(-?\d+)\s*$")]
    private static partial Regex AnswerLine();

    [GeneratedRegex(@"^\d+ [+-] \d+ = -?\d+(?:, \d+ [+-] \d+ = -?\d+)*\. Answer: -?\d+$")]
    private static partial Regex WellFormed();
}
