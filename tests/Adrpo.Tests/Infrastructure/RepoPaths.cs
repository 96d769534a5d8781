namespace Adrpo.Tests.Infrastructure;

internal static class RepoPaths
{
    /// <summary>The repository root: the first folder above the test binaries that holds Adrpo.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Adrpo.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException($"Adrpo.sln not found above {AppContext.BaseDirectory}.");
        }
    }
}
