using System.Text.RegularExpressions;
using Adrpo.Tests.Infrastructure;

namespace Adrpo.Tests;

/// <summary>
/// src/Adrpo/PACKAGE.md (the NuGet readme) holds one complete program per track, each marked
/// <c>&lt;!-- program: samples/.../Program.cs --&gt;</c> and copied verbatim into that sample project, which Adrpo.sln
/// builds. These tests keep the two texts equal and run each sample at a tiny size (PROCESS TESTS, category
/// <see cref="ChildProcess.Category"/>, about 10-30 s each).
/// </summary>
[TestClass]
public sealed partial class PackageReadmeTests
{
    private const string LanguageModelProgram = "samples/Adrpo.Samples.Package.LanguageModel/Program.cs";
    private const string TextToImageProgram = "samples/Adrpo.Samples.Package.TextToImage/Program.cs";

    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("adrpo-package-readme-").FullName;

    [TestCleanup]
    public void DeleteFolder()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [TestMethod]
    public void EachTrackHasExactlyOneProgramAndItIsTheSampleVerbatim()
    {
        var programs = Programs(File.ReadAllText(Path.Combine(RepoPaths.Root, "src", "Adrpo", "PACKAGE.md")));
        CollectionAssert.AreEquivalent(new[] { LanguageModelProgram, TextToImageProgram }, programs.Select(p => p.Path).ToArray(),
            "PACKAGE.md should mark one program per track");
        foreach (var (path, code) in programs)
        {
            string sample = File.ReadAllText(Path.Combine(RepoPaths.Root, path));
            Assert.AreEqual(Normalize(sample), Normalize(code), $"PACKAGE.md's program for {path} differs from the file; copy one onto the other.");
        }
    }

    [TestMethod]
    public void TheComparisonNoticesAChangedToken()
    {
        // The check above must be able to fail: one changed number in an otherwise equal program is a difference.
        string sample = File.ReadAllText(Path.Combine(RepoPaths.Root, LanguageModelProgram));
        string readme = $"<!-- program: {LanguageModelProgram} -->\n```csharp\n{sample.Replace("SamplesPerPrompt = 8", "SamplesPerPrompt = 4", StringComparison.Ordinal)}\n```\n";
        var (_, code) = Programs(readme).Single();
        Assert.AreNotEqual(Normalize(sample), Normalize(code));
        Assert.AreEqual(Normalize(sample), Normalize("  " + sample.Replace("\n", "\r\n  ", StringComparison.Ordinal) + "\n\n"), "whitespace alone is not a difference");
    }

    [TestMethod]
    [TestCategory(ChildProcess.Category)]
    public void TheLanguageModelProgramRunsAtATinySize()
    {
        var run = RunSample("Adrpo.Samples.Package.LanguageModel", "2");
        StringAssert.Matches(run.StandardOutput, new Regex(@"Mean reward: iteration 1 -?\d+\.\d{3}, iteration 2 -?\d+\.\d{3}"));
        StringAssert.Contains(run.StandardOutput, "Saved and reloaded: ");
        Assert.IsTrue(File.Exists(Path.Combine(_dir, "metrics.csv")), "metrics.csv");
        Assert.AreEqual(3, File.ReadAllLines(Path.Combine(_dir, "metrics.csv")).Length, "a header and one row per iteration");
        Assert.IsTrue(File.Exists(Path.Combine(_dir, "fine-tuned-lm", "model.safetensors")));
    }

    [TestMethod]
    [TestCategory(ChildProcess.Category)]
    public void TheTextToImageProgramRunsAtATinySize()
    {
        var run = RunSample("Adrpo.Samples.Package.TextToImage", "1");
        StringAssert.Matches(run.StandardOutput, new Regex(@"Mean reward: iteration 1 -?\d+\.\d{3}, iteration 1 -?\d+\.\d{3}"));
        StringAssert.Contains(run.StandardOutput, "Saved and reloaded: 3072 values per image");
        Assert.IsTrue(new FileInfo(Path.Combine(_dir, "samples.png")).Length > 0, "samples.png");
        Assert.AreEqual(2, File.ReadAllLines(Path.Combine(_dir, "metrics.csv")).Length, "a header and one row per iteration");
    }

    /// <summary>Runs the built sample (Adrpo.sln builds it) in the test's folder, with one libtorch thread (see the
    /// issue: two threads on a busy two-core machine were ten times slower), and requires exit code 0.</summary>
    private ChildProcess.Result RunSample(string project, string iterations)
    {
        string bin = Path.Combine(RepoPaths.Root, "samples", project, "bin", ChildProcess.Configuration);
        string? dll = Directory.Exists(bin) ? Directory.EnumerateFiles(bin, project + ".dll", SearchOption.AllDirectories).FirstOrDefault() : null;
        Assert.IsNotNull(dll, $"{project}.dll not found under {bin}; build Adrpo.sln ({ChildProcess.Configuration}) first.");
        var run = ChildProcess.Run("dotnet", [dll, iterations], _dir, TimeSpan.FromMinutes(2), new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "1" });
        Assert.AreEqual(0, run.ExitCode, run.All);
        return run;
    }

    /// <summary>Each <c>&lt;!-- program: PATH --&gt;</c> marker and the fenced csharp block right after it.</summary>
    internal static List<(string Path, string Code)> Programs(string markdown) =>
        ProgramBlock().Matches(markdown.Replace("\r\n", "\n", StringComparison.Ordinal))
            .Select(m => (m.Groups["path"].Value.Trim(), m.Groups["code"].Value))
            .ToList();

    /// <summary>Whitespace-normalised text: every run of whitespace (line breaks, indentation) becomes one space.</summary>
    internal static string Normalize(string code) => WhitespaceRun().Replace(code, " ").Trim();

    [GeneratedRegex(@"<!--\s*program:\s*(?<path>[^>]+?)\s*-->\s*\n```csharp\n(?<code>.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex ProgramBlock();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRun();
}
