namespace Adrpo.Persistence;

/// <summary>Writes a whole file through a temp file in the same folder and a rename, so readers never see half of it.</summary>
internal static class AtomicFile
{
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
