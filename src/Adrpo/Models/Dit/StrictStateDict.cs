using Adrpo.Validation;
using static TorchSharp.torch;

namespace Adrpo.Models.Dit;

/// <summary>
/// Strict state-dict loading: every key the model expects must be in the file with the same shape, and the file may
/// hold nothing else. TorchSharp's <c>load_state_dict(strict: true)</c> only says that the dictionaries differ; these
/// messages name the key, both shapes and the file, which is what one needs to fix a renamed or resized checkpoint.
/// </summary>
internal static class StrictStateDict
{
    /// <summary>Copies <paramref name="file"/> into <paramref name="expected"/> after checking that keys and shapes agree exactly.</summary>
    public static void Copy(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> file, string path)
    {
        var unexpected = file.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        string unexpectedList = string.Join(", ", unexpected.Select(k => $"'{k}' {TensorChecks.Format(file[k].shape)}"));
        foreach (var (key, target) in expected.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!file.TryGetValue(key, out var source))
            {
                string extra = unexpected.Count > 0 ? $"; the file has unexpected keys {unexpectedList}" : string.Empty;
                throw new InvalidDataException($"'{path}' is missing key '{key}' (expected shape {TensorChecks.Format(target.shape)}){extra}.");
            }

            if (!source.shape.SequenceEqual(target.shape))
            {
                throw new InvalidDataException($"'{path}': key '{key}' has shape {TensorChecks.Format(source.shape)}; the model expects {TensorChecks.Format(target.shape)}.");
            }

            if (!is_floating_point(source))
            {
                throw new InvalidDataException($"'{path}': key '{key}' has dtype {source.dtype}; expected a floating-point tensor.");
            }
        }

        if (unexpected.Count > 0)
        {
            throw new InvalidDataException($"'{path}' has unexpected keys {unexpectedList}; the model has no such parameters.");
        }

        using var _ = no_grad();
        foreach (var (key, target) in expected)
        {
            target.copy_(file[key]);
        }
    }
}
