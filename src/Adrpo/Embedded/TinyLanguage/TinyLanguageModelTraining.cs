using Adrpo.Models.Language;
using Adrpo.Text.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Embedded.TinyLanguage;

/// <summary>
/// Builds the embedded tiny language model: the tokenizer (a byte-level BPE learned from the corpus), the Qwen3-shaped
/// architecture, supervised next-token pre-training on ChatML-formatted turns, and batched sampling of replies.
/// </summary>
internal static class TinyLanguageModelTraining
{
    /// <summary>The chat template written to <c>tokenizer_config.json</c>: plain ChatML (no default system prompt, no thinking switch).</summary>
    public const string ChatTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>The ChatML formatter of the tiny model's prompts.</summary>
    public static ChatMlFormatter Formatter { get; } = new();

    /// <summary>A full training turn: the formatted prompt, the reply and <c>&lt;|im_end|&gt;</c>.</summary>
    public static string FormatTurn(string prompt, string reply) => Formatter.FormatPrompt(prompt) + reply + ChatMlFormatter.ImEnd;

    /// <summary>Learns the tokenizer from the corpus's formatted turns and writes <c>tokenizer.json</c> and
    /// <c>tokenizer_config.json</c> (eos <c>&lt;|im_end|&gt;</c>, pad <c>&lt;|endoftext|&gt;</c>, ChatML template) into a folder.</summary>
    /// <returns>The loaded tokenizer.</returns>
    public static HuggingFaceTokenizer TrainTokenizer(IEnumerable<TinyLanguageExample> corpus, int mergeCount, string folder)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return TrainChatTokenizer(corpus.Select(e => (e.Prompt, e.Reply)), mergeCount, folder);
    }

    /// <summary>
    /// The tokenizer recipe both embedded language models share: a byte-level BPE learned from the ChatML-formatted
    /// turns, written as <c>tokenizer.json</c> plus <c>tokenizer_config.json</c> (eos <c>&lt;|im_end|&gt;</c>, pad
    /// <c>&lt;|endoftext|&gt;</c>, ChatML template), then loaded back.
    /// </summary>
    internal static HuggingFaceTokenizer TrainChatTokenizer(IEnumerable<(string Prompt, string Reply)> turns, int mergeCount, string folder)
    {
        Directory.CreateDirectory(folder);
        var (json, _) = ByteLevelBpeTrainer.Train(turns.Select(t => FormatTurn(t.Prompt, t.Reply)), mergeCount);
        File.WriteAllText(Path.Combine(folder, HuggingFaceTokenizer.TokenizerFileName), json);
        var config = new System.Text.Json.Nodes.JsonObject
        {
            ["tokenizer_class"] = "Qwen2Tokenizer",
            ["bos_token"] = null,
            ["eos_token"] = ChatMlFormatter.ImEnd,
            ["pad_token"] = "<|endoftext|>",
            ["model_max_length"] = 256,
            ["chat_template"] = ChatTemplate,
        };
        File.WriteAllText(Path.Combine(folder, HuggingFaceTokenizer.ConfigFileName), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return HuggingFaceTokenizer.FromPretrained(folder);
    }

    /// <summary>The embedded model's architecture: Qwen3, hidden 128, 4 layers, 4 query / 2 key-value heads of 32,
    /// SwiGLU 256, tied embeddings, EOS <c>&lt;|im_end|&gt;</c>.</summary>
    public static QwenConfig DefaultConfig(HuggingFaceTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var config = new QwenConfig
        {
            ModelType = "qwen3",
            VocabSize = tokenizer.VocabularySize,
            HiddenSize = 128,
            IntermediateSize = 256,
            NumHiddenLayers = 4,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            HeadDim = 32,
            MaxPositionEmbeddings = 256,
            RopeTheta = 10_000,
            RmsNormEps = 1e-6,
            TieWordEmbeddings = true,
            EosTokenId = new long[] { tokenizer.EosTokenId ?? throw new ArgumentException("The tokenizer has no eos_token.", nameof(tokenizer)) },
            PadTokenId = tokenizer.PadTokenId,
            TorchDtype = "float32",
        };
        config.Validate();
        return config;
    }

    /// <summary>
    /// Pre-trains a fresh model with next-token cross-entropy on the reply tokens (and the closing
    /// <c>&lt;|im_end|&gt;</c>) of ChatML turns; AdamW, linear warm-up then cosine decay to a tenth, gradient clip 1.
    /// </summary>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="config">The architecture.</param>
    /// <param name="corpus">Training turns.</param>
    /// <param name="steps">Optimisation steps.</param>
    /// <param name="batchSize">Turns per step.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="seed">Seed of the initialisation and of the batches.</param>
    /// <param name="progress">Receives (step, mean loss of the last 100 steps).</param>
    public static QwenForCausalLM Pretrain(HuggingFaceTokenizer tokenizer, QwenConfig config, IReadOnlyList<TinyLanguageExample> corpus, int steps, int batchSize = 32, double learningRate = 1e-3, int seed = 5, IProgress<(int Step, double Loss)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(corpus);
        if (corpus.Count == 0)
        {
            throw new ArgumentException("The corpus is empty.", nameof(corpus));
        }

        var encoded = corpus.Select(e => Encode(tokenizer, e.Prompt, e.Reply)).ToArray();
        long pad = config.PadTokenId ?? 0;
        var model = new QwenForCausalLM(config, new Generator((ulong)seed));
        var optimizer = optim.AdamW(model.parameters(), learningRate, weight_decay: 0.01);
        var random = new Random(seed);
        int warmup = Math.Max(1, Math.Min(100, steps / 10));
        model.train();
        double running = 0;
        int runningCount = 0;
        for (int step = 1; step <= steps; step++)
        {
            double lr = step <= warmup ? learningRate * step / warmup
                : learningRate * (0.1 + (0.45 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, steps - warmup)))));
            foreach (var group in optimizer.ParamGroups)
            {
                group.LearningRate = lr;
            }

            using var scope = NewDisposeScope();
            var batch = Enumerable.Range(0, batchSize).Select(_ => encoded[random.Next(encoded.Length)]).ToArray();
            var (input, target) = Batch(batch, pad);
            var logits = model.forward(input);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), target.reshape(-1), ignore_index: -100);
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            running += loss.item<float>();
            runningCount++;
            if (step % 100 == 0 || step == steps)
            {
                progress?.Report((step, running / runningCount));
                running = 0;
                runningCount = 0;
            }
        }

        model.eval();
        return model;
    }

    /// <summary>Mean next-token cross-entropy (nats per token) of the reply tokens of the given turns.</summary>
    public static double ReplyLoss(QwenForCausalLM model, HuggingFaceTokenizer tokenizer, IReadOnlyList<TinyLanguageExample> turns, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(turns);
        var encoded = turns.Select(e => Encode(tokenizer, e.Prompt, e.Reply)).ToArray();
        double total = 0;
        long count = 0;
        using var _ = no_grad();
        for (int start = 0; start < encoded.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var (input, target) = Batch(encoded.Skip(start).Take(batchSize).ToArray(), model.Config.PadTokenId ?? 0);
            var logits = model.forward(input);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), target.reshape(-1), ignore_index: -100, reduction: nn.Reduction.Sum);
            total += loss.item<float>();
            count += target.ne(-100).sum().item<long>();
        }

        return total / Math.Max(1, count);
    }

    /// <summary>Samples one reply per prompt (ChatML-formatted, left-padded, batched); stops at <c>&lt;|im_end|&gt;</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="prompts">User prompts.</param>
    /// <param name="temperature">0 = greedy.</param>
    /// <param name="seed">Seed of the sampler.</param>
    /// <param name="maxNewTokens">Most tokens per reply.</param>
    /// <param name="batchSize">Prompts per generation call.</param>
    /// <returns>The decoded replies, special tokens removed.</returns>
    public static IReadOnlyList<string> Sample(QwenForCausalLM model, HuggingFaceTokenizer tokenizer, IReadOnlyList<string> prompts, double temperature = 1.0, ulong seed = 1, int maxNewTokens = 48, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        var generator = new QwenGenerator(model, seed);
        var replies = new List<string>(prompts.Count);
        long pad = model.Config.PadTokenId ?? 0;
        for (int start = 0; start < prompts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var ids = prompts.Skip(start).Take(batchSize).Select(p => tokenizer.Encode(Formatter.FormatPrompt(p))).ToArray();
            int length = ids.Max(x => x.Count);
            var flat = new long[ids.Length * length];
            var mask = new long[ids.Length * length];
            for (int r = 0; r < ids.Length; r++)
            {
                int offset = length - ids[r].Count;
                for (int c = 0; c < length; c++)
                {
                    flat[(r * length) + c] = c < offset ? pad : ids[r][c - offset];
                    mask[(r * length) + c] = c < offset ? 0 : 1;
                }
            }

            using var result = generator.Generate(tensor(flat, new long[] { ids.Length, length }), tensor(mask, new long[] { ids.Length, length }),
                new QwenGenerationOptions { MaxNewTokens = maxNewTokens, Temperature = temperature });
            long[] tokens = result.Tokens.data<long>().ToArray();
            long[] keep = result.CompletionMask.data<long>().ToArray();
            int width = (int)result.Length;
            for (int r = 0; r < ids.Length; r++)
            {
                var row = Enumerable.Range(0, width).Where(c => keep[(r * width) + c] == 1).Select(c => (int)tokens[(r * width) + c]);
                replies.Add(tokenizer.Decode(row, skipSpecialTokens: true).Trim());
            }
        }

        return replies;
    }

    /// <summary>Token ids of a turn and the index of its first reply token.</summary>
    internal static (int[] Ids, int ReplyStart) Encode(HuggingFaceTokenizer tokenizer, string prompt, string reply)
    {
        var head = tokenizer.Encode(Formatter.FormatPrompt(prompt));
        var tail = tokenizer.Encode(reply + ChatMlFormatter.ImEnd);
        return (head.Concat(tail).ToArray(), head.Count);
    }

    /// <summary>Right-padded inputs [B, T] and targets [B, T] (the next token, -100 outside replies and on padding).</summary>
    internal static (Tensor Input, Tensor Target) Batch((int[] Ids, int ReplyStart)[] rows, long pad)
    {
        int length = rows.Max(r => r.Ids.Length) - 1;
        var input = new long[rows.Length * length];
        var target = new long[rows.Length * length];
        for (int r = 0; r < rows.Length; r++)
        {
            var (ids, replyStart) = rows[r];
            for (int c = 0; c < length; c++)
            {
                int i = (r * length) + c;
                input[i] = c < ids.Length ? ids[c] : pad;
                target[i] = c + 1 < ids.Length && c + 1 >= replyStart ? ids[c + 1] : -100;
            }
        }

        return (tensor(input, new long[] { rows.Length, length }), tensor(target, new long[] { rows.Length, length }));
    }
}
