using Adrpo.Training.Language;
using Microsoft.ML;

namespace Adrpo.Tests.Training.Language;

/// <summary>The tiny GRPO setup of <see cref="AdrpoGrpoTrainerTests"/>, shared with the checkpoint and robustness tests.</summary>
internal static class AdrpoGrpoTrainerTestsAccess
{
    public static readonly string[] HeldOut = { "wow", "hello 12", "world" };

    public static IDataView TrainData(MLContext context) => AdrpoGrpoTrainerTests.Prompts(context, AdrpoGrpoTrainerTests.TrainPrompts);

    /// <summary>Six short iterations, checkpoints every 2, sampling at temperature 1 (so the random streams matter).</summary>
    public static AdrpoGrpoTrainer.Options Options(MLContext context, string? checkpoint, bool adaptive = true) => new()
    {
        Model = AdrpoGrpoTrainerTests.TinyModel(),
        Tokenizer = AdrpoGrpoTrainerTests.Tokenizer(),
        RewardModels = { AdrpoGrpoTrainerTests.LetterReward(context) },
        Method = adaptive ? GrpoMethod.Adrpo : GrpoMethod.Grpo,
        Iterations = 6,
        SamplesPerPrompt = 4,
        PromptsPerIteration = 2,
        UpdatesPerIteration = 2,
        MaxNewTokens = 5,
        MaxPromptTokens = 32,
        LearningRate = 1e-2,
        Seed = 7,
        ComputeThreads = 1,   // bit-exact comparisons (resume, recorded metrics) need the same thread count on every machine
        CheckpointPath = checkpoint,
        CheckpointInterval = 2,
        UseChatTemplate = false,
    };
}
