using Adrpo.Models.Dit;
using Adrpo.Persistence;
using Adrpo.Text;
using static TorchSharp.torch;
using Bench = Adrpo.Data.MiniDrawBench.MiniDrawBench;
using BenchPrompt = Adrpo.Data.MiniDrawBench.MiniDrawBenchPrompt;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// The learned reward of the embedded default: P(image matches prompt) from <see cref="MatchScorerNetwork"/>.
/// Trained by <see cref="Train"/> on rendered images (positives) against images that break the prompt in one
/// attribute (colour, count, shape or position) and images of other prompts (negatives).
/// </summary>
public sealed class MatchScorer : IDisposable
{
    private readonly MatchScorerNetwork _network;
    private readonly ITextEncoder _encoder;
    private readonly object _gate = new();

    private MatchScorer(MatchScorerNetwork network, ITextEncoder encoder)
    {
        _network = network;
        _encoder = encoder;
        _network.eval();
    }

    /// <summary>File name of the weights inside a model folder.</summary>
    public const string WeightsFileName = "match_scorer.safetensors";

    /// <summary>Trains a scorer; returns it with its held-out accuracy against one-attribute mismatches.</summary>
    /// <param name="encoder">Frozen prompt encoder (MiniLM in the embedded default).</param>
    /// <param name="train">Training prompts.</param>
    /// <param name="test">Held-out prompts for the reported accuracy.</param>
    /// <param name="steps">Optimisation steps.</param>
    /// <param name="seed">Seed of initialisation and of every rendered image.</param>
    /// <param name="progress">Receives (step, loss) every 100 steps.</param>
    public static (MatchScorer Scorer, double HeldOutAccuracy) Train(ITextEncoder encoder, IReadOnlyList<BenchPrompt> train, IReadOnlyList<BenchPrompt> test, int steps = 1500, int seed = 7, IProgress<(int Step, double Loss)>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var generator = new Generator((ulong)seed);
        var network = new MatchScorerNetwork(PooledDimension(encoder), generator);
        var optimizer = optim.Adam(network.parameters(), 1e-3);
        var random = new Random(seed);
        using var trainText = Pooled(encoder, encoder.Encode(train.Select(p => p.Text).ToList()));
        network.train();
        for (int step = 1; step <= steps; step++)
        {
            using var scope = NewDisposeScope();
            var (images, textIndex, labels) = Batch(train, random, 64);
            var logits = network.forward(images, trainText.index_select(0, textIndex));
            var loss = nn.functional.binary_cross_entropy_with_logits(logits, labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            if (step % 100 == 0)
            {
                progress?.Report((step, loss.item<float>()));
            }
        }

        var scorer = new MatchScorer(network, encoder);
        return (scorer, scorer.Accuracy(test, new Random(seed + 1)));
    }

    /// <summary>Loads weights written by <see cref="Save"/>.</summary>
    public static MatchScorer Load(string path, ITextEncoder encoder)
    {
        var network = new MatchScorerNetwork(PooledDimension(encoder), new Generator(0));
        var (tensors, _) = SafeTensorsFile.Load(path);
        StrictStateDict.Copy(network.state_dict(), tensors, path);
        return new MatchScorer(network, encoder);
    }

    /// <summary>Writes the weights as safetensors (atomically).</summary>
    public void Save(string path) => SafeTensorsFile.Save(path, _network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value), new Dictionary<string, string> { ["format"] = "adrpo-match-scorer" });

    /// <summary>Probability that each image shows its prompt.</summary>
    /// <param name="prompts">Prompts.</param>
    /// <param name="images">CHW float images in [-1, 1], 3x32x32 each.</param>
    public float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<float[]> images)
    {
        int length = Bench.Channels * Bench.ImageSize * Bench.ImageSize;
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Length != length)
            {
                throw new ArgumentException($"Image {i} has {images[i].Length} values; expected {length} (3x32x32).", nameof(images));
            }
        }

        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var text = Pooled(_encoder, _encoder.Encode(prompts));
            var batch = tensor(images.SelectMany(x => x).ToArray()).reshape(images.Count, Bench.Channels, Bench.ImageSize, Bench.ImageSize);
            return _network.forward(batch, text).sigmoid().data<float>().ToArray();
        }
    }

    /// <summary>Held-out accuracy: positives above 0.5, one-attribute mismatches below.</summary>
    public double Accuracy(IReadOnlyList<BenchPrompt> prompts, Random random)
    {
        var texts = prompts.Select(p => p.Text).ToList();
        var positives = Score(texts, prompts.Select(p => Bench.Render(p.Scene, random)).ToList());
        var negatives = Score(texts, prompts.Select(p => Bench.RenderMismatch(p, random)).ToList());
        return (positives.Count(s => s > 0.5f) + negatives.Count(s => s < 0.5f)) / (2.0 * prompts.Count);
    }

    /// <inheritdoc />
    public void Dispose() => _network.Dispose();

    private static (Tensor Images, Tensor TextIndex, Tensor Labels) Batch(IReadOnlyList<BenchPrompt> prompts, Random random, int pairs)
    {
        var images = new List<float[]>();
        var index = new List<long>();
        var labels = new List<float>();
        for (int i = 0; i < pairs; i++)
        {
            int p = random.Next(prompts.Count);
            images.Add(Bench.Render(prompts[p].Scene, random));
            index.Add(p);
            labels.Add(1);

            // Negatives: mostly one-attribute edits (the hard case the reward must see), sometimes another prompt.
            images.Add(random.NextDouble() < 0.75 ? Bench.RenderMismatch(prompts[p], random) : Bench.Render(prompts[random.Next(prompts.Count)].Scene, random));
            index.Add(p);
            labels.Add(0);
        }

        var x = tensor(images.SelectMany(v => v).ToArray()).reshape(images.Count, Bench.Channels, Bench.ImageSize, Bench.ImageSize);
        return (x, tensor(index.ToArray()), tensor(labels.ToArray()));
    }

    /// <summary>The scorer reads the pooled sentence vector only; a MiniLM encoder with token slots (the
    /// cross-attention generator's) puts it in its first 384 columns, so one encoder serves both.</summary>
    private static int PooledDimension(ITextEncoder encoder) =>
        encoder is MiniLmTextEncoder ? MiniLmTextEncoder.EmbeddingDimension : encoder.Dimension;

    private static Tensor Pooled(ITextEncoder encoder, Tensor rows) =>
        rows.shape[1] == PooledDimension(encoder) ? rows : rows.narrow(1, 0, PooledDimension(encoder));
}
