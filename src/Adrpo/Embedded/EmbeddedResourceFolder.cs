using System.Reflection;

namespace Adrpo.Embedded;

/// <summary>
/// Extracts model files embedded in the Adrpo assembly into a cache folder, once per assembly version and only
/// when the cached bytes differ, each file through a temp file and a rename (a crash never leaves half a file).
/// </summary>
internal static class EmbeddedResourceFolder
{
    /// <param name="resourcePrefix">Manifest-resource prefix, e.g. <c>Adrpo.Embedded.MiniDrawBench.Weights.</c>.</param>
    /// <param name="files">File names after the prefix.</param>
    /// <param name="cacheName">Sub-folder of <c>LocalApplicationData/adrpo</c>.</param>
    /// <param name="cacheRoot">Explicit destination; null uses the default cache.</param>
    /// <param name="rebuildHint">What rebuilds missing files, for the error message.</param>
    /// <returns>The folder holding the files.</returns>
    public static string Extract(string resourcePrefix, IReadOnlyList<string> files, string cacheName, string? cacheRoot, string rebuildHint)
    {
        var assembly = typeof(EmbeddedResourceFolder).Assembly;
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";
        string root = cacheRoot ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "adrpo", cacheName, Sanitize(version));
        Directory.CreateDirectory(root);
        foreach (string file in files)
        {
            string target = Path.Combine(root, file);
            using var resource = assembly.GetManifestResourceStream(resourcePrefix + file)
                ?? throw new InvalidOperationException($"The embedded file '{file}' is missing from {assembly.GetName().Name}; rebuild it with {rebuildHint}.");
            using var buffer = new MemoryStream();
            resource.CopyTo(buffer);
            if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))
            {
                continue;   // already extracted, byte for byte (a rebuilt model of the same size must not be missed)
            }

            string temp = target + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                File.WriteAllBytes(temp, buffer.ToArray());
                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        return root;
    }

    private static string Sanitize(string version) => new(version.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '-' ? c : '_').Take(64).ToArray());
}
