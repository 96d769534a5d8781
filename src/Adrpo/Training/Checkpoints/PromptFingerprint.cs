using System.Security.Cryptography;
using System.Text;

namespace Adrpo.Training.Checkpoints;

/// <summary>
/// Count and SHA-256 of the training prompts in order. Prompts are drawn by index, so a resumed run on different or
/// reordered prompts would silently train on other data; the checkpoint records this and resume refuses a mismatch.
/// </summary>
internal static class PromptFingerprint
{
    public static string Of(IReadOnlyList<string> prompts)
    {
        using var sha = SHA256.Create();
        foreach (string prompt in prompts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(prompt);
            sha.TransformBlock(BitConverter.GetBytes(bytes.Length), 0, 4, null, 0);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }

        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return $"{prompts.Count} prompts, sha256 {Convert.ToHexString(sha.Hash!)[..16].ToLowerInvariant()}";
    }
}
