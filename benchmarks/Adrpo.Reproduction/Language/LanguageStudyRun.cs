using System.Globalization;
using Adrpo.Embedded.TinyLanguage;
using Adrpo.Generation;
using Adrpo.Reproduction.Results;
using Adrpo.Reproduction.Runs;
using Adrpo.Rewards;
using Adrpo.Text;
using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Reproduction.Language;

/// <summary>
/// One language-model run: the embedded tiny Qwen3-shaped chat model fine-tuned by ADRPO-GRPO or GRPO (fixed beta) with
/// one seed (or, for <see cref="RunSpec.PreTrained"/>, the pre-trained model evaluated once). Held-out reward is
/// measured every evaluation interval; entropy and KL are the
/// trainer's per-iteration measurements on its own samples, averaged over the iterations since the last evaluation
/// (the paper's Figure 4 plots training-time entropy).
/// </summary>
internal static class LanguageStudyRun
{
    // The paper's values: beta0 = 0.04 for both methods, A clipped to [-0.04, 0.04] (section 4.1); the rest as the
    // quick-start main job.
    private const int GroupSize = 8, PromptsPerIteration = 4, MaxNewTokens = 48, MaxPromptTokens = 64;
    private const double LearningRate = 3e-4, Beta0 = 0.04;

    public static string Settings =>
        $"{PromptsPerIteration} prompts x {GroupSize} completions per iteration, {MaxNewTokens} new tokens at temperature 1, AdamW lr {LearningRate.ToString(CultureInfo.InvariantCulture)}, full fine-tuning, " +
        $"beta0 = {Beta0.ToString(CultureInfo.InvariantCulture)} for both, ADRPO's A clipped to [-0.04, 0.04], group-scaled advantages, eps 0.2";

    public static List<EvaluationPoint> Run(ReproductionProfile profile, RunSpec run)
    {
        var context = new MLContext(seed: run.Seed);
        using var encoder = new MiniLmTextEncoder();
        var reward = EmbeddedTinyLanguage.LoadRewardModel(context, encoder);
        var scorer = new RewardScorer(context, new[] { reward }, RewardSampleColumn.Text());
        var evalPrompts = EmbeddedTinyLanguage.TestPrompts.SelectMany(p => Enumerable.Repeat(p, profile.LanguageEvalSamplesPerPrompt)).ToList();
        var model = EmbeddedTinyLanguage.LoadModel();
        var tokenizer = EmbeddedTinyLanguage.LoadTokenizer();
        var evaluation = new CausalLanguageModelTransformer(model, tokenizer, new LanguageGenerationSettings
        {
            Seed = 1000 + run.Seed,
            MaxNewTokens = MaxNewTokens,
            MaxPromptTokens = MaxPromptTokens,
            Temperature = 1.0,
        });

        var points = new List<EvaluationPoint>();
        var schedule = new EvaluationSchedule<GrpoIterationMetrics>(profile.LanguageEvalInterval, profile.LanguageIterations, m => m.Iteration, m => m.Seconds, (iteration, window, trainingSeconds) =>
        {
            var completions = evaluation.Generate(evalPrompts);
            double heldOut = scorer.Score(evalPrompts, completions).Total.Where(float.IsFinite).Average(s => (double)s);
            double Mean(Func<GrpoIterationMetrics, double> pick) => window.Count > 0 ? window.Average(pick) : double.NaN;
            points.Add(new EvaluationPoint(run.Task, run.Method, run.Seed, iteration, heldOut, double.NaN, double.NaN, Mean(m => m.Entropy), Mean(m => m.Kl), Mean(m => m.RewardMean), trainingSeconds));
            Console.WriteLine(FormattableString.Invariant($"{run.Name} iteration {iteration}: held-out reward {heldOut:F4}, entropy {Mean(m => m.Entropy):F3}, KL {Mean(m => m.Kl):F4}, training reward {Mean(m => m.RewardMean):F4}, {trainingSeconds:F0} s training"));
        });
        if (run.IsPreTrained)
        {
            schedule.EvaluateNow(0);
            return points;
        }

        bool adaptive = LanguageMethods.IsAdaptive(run.Method);
        var options = new AdrpoGrpoTrainer.Options
        {
            Model = model,
            Tokenizer = tokenizer,
            RewardModels = { reward },
            Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
            Beta0 = Beta0,
            Iterations = profile.LanguageIterations,
            SamplesPerPrompt = GroupSize,
            PromptsPerIteration = PromptsPerIteration,
            MaxNewTokens = MaxNewTokens,
            MaxPromptTokens = MaxPromptTokens,
            LearningRate = LearningRate,
            Seed = run.Seed,
            Progress = schedule.Progress,
        };
        var prompts = context.Data.LoadFromEnumerable(EmbeddedTinyLanguage.TrainPrompts.Select(p => new PromptRow { Prompt = p }));
        context.FineTuning().AdrpoGrpo(options).Fit(prompts);
        return points;
    }
}
