using Adrpo.Embedded.TinyLanguage;
using Adrpo.Models.Language;
using Adrpo.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Embedded.Arithmetic;

/// <summary>
/// Builds the embedded arithmetic model: a byte-level BPE learned from the problems (the Qwen pre-tokenizer splits
/// every digit into its own token, so merges only shorten the words and the model does arithmetic digit by digit),
/// the Qwen3 architecture of the chat default, and supervised pre-training on (prompt, solution) turns in ChatML that
/// stops as soon as held-out accuracy sampled at temperature 1 reaches a target, leaving headroom for RL.
/// </summary>
internal static class ArithmeticModelTraining
{
    /// <summary>Learns the tokenizer from the problems' formatted turns and writes <c>tokenizer.json</c> and
    /// <c>tokenizer_config.json</c> (eos <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>, ChatML template) into a folder.</summary>
    public static HuggingFaceTokenizer TrainTokenizer(IEnumerable<ArithmeticProblem> problems, int mergeCount, string folder)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return TinyLanguageModelTraining.TrainChatTokenizer(problems.Select(p => (p.Prompt, p.Solution)), mergeCount, folder);
    }

    /// <summary>
    /// Pre-trains a fresh model with next-token cross-entropy on the solution tokens (and the closing
    /// <c>&lt;|im_end|&gt;</c>); AdamW, linear warm-up then cosine decay to a tenth over <paramref name="maxSteps"/>,
    /// gradient clip 1. Every <paramref name="evaluateEvery"/> steps it calls <paramref name="evaluate"/>, and stops
    /// early when that returns true.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="config">The architecture.</param>
    /// <param name="problems">Training problems.</param>
    /// <param name="maxSteps">Most optimisation steps (also the length of the schedule).</param>
    /// <param name="evaluateEvery">Steps between evaluations.</param>
    /// <param name="evaluate">Receives (step, model in eval mode, mean loss since the last evaluation); true stops.</param>
    /// <param name="batchSize">Turns per step.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="seed">Seed of the initialisation and of the batches.</param>
    /// <returns>The model in eval mode and the number of steps taken.</returns>
    public static (QwenForCausalLM Model, int Steps) Pretrain(HuggingFaceTokenizer tokenizer, QwenConfig config, IReadOnlyList<ArithmeticProblem> problems,
        int maxSteps, int evaluateEvery, Func<int, QwenForCausalLM, double, bool> evaluate, int batchSize = 32, double learningRate = 2e-3, int seed = 5)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(evaluate);
        if (problems.Count == 0)
        {
            throw new ArgumentException("There are no training problems.", nameof(problems));
        }

        var encoded = problems.Select(p => TinyLanguageModelTraining.Encode(tokenizer, p.Prompt, p.Solution)).ToArray();
        long pad = config.PadTokenId ?? 0;
        var model = new QwenForCausalLM(config, new Generator((ulong)seed));
        var optimizer = optim.AdamW(model.parameters(), learningRate, weight_decay: 0.01);
        var random = new Random(seed);
        int warmup = Math.Max(1, Math.Min(100, maxSteps / 10));
        double running = 0;
        int runningCount = 0;
        model.train();
        for (int step = 1; step <= maxSteps; step++)
        {
            double lr = step <= warmup ? learningRate * step / warmup
                : learningRate * (0.1 + (0.45 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, maxSteps - warmup)))));
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            using (var scope = NewDisposeScope())
            {
                var batch = Enumerable.Range(0, batchSize).Select(_ => encoded[random.Next(encoded.Length)]).ToArray();
                var (input, target) = TinyLanguageModelTraining.Batch(batch, pad);
                var logits = model.forward(input);
                var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), target.reshape(-1), ignore_index: -100);
                optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(model.parameters(), 1.0);
                optimizer.step();
                running += loss.item<float>();   // CPU-GPU sync point (CPU only here)
                runningCount++;
            }

            if (step % evaluateEvery == 0 || step == maxSteps)
            {
                model.eval();
                bool stop = evaluate(step, model, running / runningCount);
                running = 0;
                runningCount = 0;
                if (stop)
                {
                    return (model, step);
                }

                model.train();
            }
        }

        model.eval();
        return (model, maxSteps);
    }

    /// <summary>Exact-match accuracy: the share of problems whose sampled completion's answer
    /// (<see cref="ArithmeticAnswer.Extract"/>) is the problem's answer.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="problems">Problems, one completion each.</param>
    /// <param name="temperature">0 = greedy.</param>
    /// <param name="seed">Seed of the sampler.</param>
    /// <returns>The accuracy and the completions.</returns>
    public static (double Accuracy, IReadOnlyList<string> Completions) Accuracy(QwenForCausalLM model, HuggingFaceTokenizer tokenizer, IReadOnlyList<ArithmeticProblem> problems, double temperature, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var completions = TinyLanguageModelTraining.Sample(model, tokenizer, problems.Select(p => p.Prompt).ToList(), temperature, seed, maxNewTokens: 40);
        double correct = problems.Select((p, i) => ArithmeticAnswer.Score(completions[i], p.Answer)).Sum();
        return (correct / Math.Max(1, problems.Count), completions);
    }
}
