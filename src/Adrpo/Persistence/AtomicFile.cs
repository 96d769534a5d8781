namespace Adrpo.Persistence;

/// <summary>Writes a whole file through a temp file in the same folder and a rename, so readers never see half of it.</summary>
internal static class AtomicFile
{
    /// <summary>
    /// Checks, before anything is written, that no destination of a save is an existing folder: a save of several
    /// files must not replace some of them and then fail on the next.
    /// </summary>
    /// <exception cref="IOException">A destination is a folder; the message names it.</exception>
    public static void RequireFileDestinations(params string[] paths)
    {
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                throw new IOException($"Cannot save '{Path.GetFullPath(path)}': a folder of that name exists; expected a file path or nothing there. Nothing was written.");
            }
        }
    }

    public static void WriteAllText(string path, string contents)
    {
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllText(temp, contents);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
