using System.Diagnostics;
using System.Text;
using Adrpo.Native;

namespace Adrpo.Tests.Native;

[TestClass]
[OSCondition(OperatingSystems.Linux)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ElfVersionNeedPatcherTests
{
    private const string Version = ElfVersionNeedPatcher.TorchSharpGlibcxxVersion;
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-elf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A minimal ELF64 image: section 1 is .dynstr, section 2 is .gnu.version_r with one need (libstdc++.so.6)
    /// and two auxiliary versions, GLIBCXX_3.4.29 then <paramref name="secondVersion"/>.
    /// </summary>
    internal static byte[] SyntheticElf(string secondVersion, out int secondAuxFlagsOffset)
    {
        byte[] strings = Encoding.ASCII.GetBytes("\0libstdc++.so.6\0GLIBCXX_3.4.29\0" + secondVersion + "\0");
        int fileName = 1, first = 16, second = 31;
        const int stringsOffset = 64, needOffset = 128, sectionTable = 192;
        var image = new byte[sectionTable + (3 * 64)];
        image[0] = 0x7f; image[1] = (byte)'E'; image[2] = (byte)'L'; image[3] = (byte)'F'; image[4] = 2; image[5] = 1; image[6] = 1;
        Put64(image, 40, sectionTable);
        Put16(image, 58, 64);
        Put16(image, 60, 3);
        strings.CopyTo(image, stringsOffset);

        // Elf64_Verneed
        Put16(image, needOffset, 1); Put16(image, needOffset + 2, 2); Put32(image, needOffset + 4, fileName);
        Put32(image, needOffset + 8, 16); Put32(image, needOffset + 12, 0);
        // Elf64_Vernaux x 2
        Put32(image, needOffset + 24, first); Put32(image, needOffset + 28, 16);
        Put32(image, needOffset + 40, second); Put32(image, needOffset + 44, 0);
        secondAuxFlagsOffset = needOffset + 32 + 4;

        int strtab = sectionTable + 64, verneed = sectionTable + 128;
        Put32(image, strtab + 4, 3); Put64(image, strtab + 24, stringsOffset); Put64(image, strtab + 32, strings.Length);
        Put32(image, verneed + 4, 0x6ffffffe); Put64(image, verneed + 24, needOffset); Put64(image, verneed + 32, 48);
        Put32(image, verneed + 40, 1); Put32(image, verneed + 44, 1);
        return image;
    }

    private static void Put16(byte[] b, int o, int v) => BitConverter.GetBytes((ushort)v).CopyTo(b, o);

    private static void Put32(byte[] b, int o, int v) => BitConverter.GetBytes((uint)v).CopyTo(b, o);

    private static void Put64(byte[] b, int o, long v) => BitConverter.GetBytes((ulong)v).CopyTo(b, o);

    [TestMethod]
    public void SetsTheWeakBitOnExactlyThatVersionNeed()
    {
        byte[] image = SyntheticElf(Version, out int flags);
        byte[] original = (byte[])image.Clone();
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MakeVersionNeedWeak(image, Version, "synthetic"));
        Assert.AreEqual(2, image[flags], "VER_FLG_WEAK set");
        int changed = image.Where((b, i) => b != original[i]).Count();
        Assert.AreEqual(1, changed, "one byte changes");
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(image, Version, "synthetic"));
    }

    [TestMethod]
    public void LeavesLibrariesWithoutThatNeedAlone()
    {
        byte[] image = SyntheticElf("GLIBCXX_3.4.30", out _);
        byte[] original = (byte[])image.Clone();
        Assert.AreEqual(ElfPatchOutcome.NotNeeded, ElfVersionNeedPatcher.MakeVersionNeedWeak(image, Version, "synthetic"));
        CollectionAssert.AreEqual(original, image);
    }

    [TestMethod]
    public void CorruptFilesGiveAClearErrorNamingTheFile()
    {
        var notElf = Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeedPatcher.MakeVersionNeedWeak(new byte[100], Version, "a.so"));
        StringAssert.Contains(notElf.Message, "'a.so' is not an ELF file");
        byte[] truncated = SyntheticElf(Version, out _).Take(200).ToArray();
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => ElfVersionNeedPatcher.MakeVersionNeedWeak(truncated, Version, "b.so")).Message, "'b.so' is truncated or corrupt");
    }

    [TestMethod]
    public void PatchesTheRealTorchSharpShimThroughARenameNotThroughAHardLink()
    {
        string original = OriginalShim();
        string cacheCopy = Path.Combine(_dir, "cache-copy.so");
        string output = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(original, cacheCopy);
        Run("ln", cacheCopy, output); // output is a hard link, as MSBuild may create into the NuGet cache
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.MakeVersionNeedWeak(output, Version));
        CollectionAssert.AreEqual(File.ReadAllBytes(original), File.ReadAllBytes(cacheCopy), "the linked 'cache' file is untouched");
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(output, Version));
        Assert.AreEqual(File.GetUnixFileMode(cacheCopy), File.GetUnixFileMode(output), "permissions are kept");
        Assert.AreEqual(0, Directory.GetFiles(_dir, "*.tmp").Length, "no temporary file is left behind");
    }

    [TestMethod]
    public void TheBuildPatchedTheShimThisTestHostLoaded()
    {
        string? libstdcxx = ElfVersionNeedPatcher.FindSystemLibStdCxx();
        if (libstdcxx is null || ElfVersionNeedPatcher.LibraryDefinesVersion(libstdcxx, Version))
        {
            // The build skips the patch on such systems; the unpatched shim must be what is in the output.
            CollectionAssert.AreEqual(File.ReadAllBytes(OriginalShim()), File.ReadAllBytes(OutputShim()));
            return;
        }

        byte[] loaded = File.ReadAllBytes(OutputShim());
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(loaded, Version, "output shim"));
    }

    [TestMethod]
    [DataRow("fake-new-libstdcxx", false, DisplayName = "libstdc++ that has GLIBCXX_3.4.32: skipped")]
    [DataRow("opt-out", false, DisplayName = "AdrpoPatchTorchSharpNative=false: skipped")]
    [DataRow("system", true, DisplayName = "Debian 12 libstdc++: patched")]
    public void BuildTargetPatchesOnlyWhereNeeded(string scenario, bool expectPatched)
    {
        string? system = ElfVersionNeedPatcher.FindSystemLibStdCxx();
        if (scenario == "system" && (system is null || ElfVersionNeedPatcher.LibraryDefinesVersion(system, Version)))
        {
            expectPatched = false; // this machine's libstdc++ already has the version: the target must skip
        }

        string outDir = Path.Combine(_dir, "out") + "/";
        Directory.CreateDirectory(outDir);
        string shim = Path.Combine(outDir, "libLibTorchSharp.so");
        File.Copy(OriginalShim(), shim);
        string project = Path.Combine(_dir, "probe.proj");
        string targets = Path.Combine(Infrastructure.RepoPaths.Root, "src", "Adrpo", "buildTransitive", "Adrpo.targets");
        File.WriteAllText(project, $"<Project><Import Project=\"{targets}\" /><Target Name=\"CopyFilesToOutputDirectory\" /></Project>");

        var args = new List<string> { "msbuild", project, "-t:CopyFilesToOutputDirectory", "-nologo", "-v:m", $"-p:OutDir={outDir}" };
        if (scenario == "fake-new-libstdcxx")
        {
            string fake = Path.Combine(_dir, "libstdc++.so.6");
            File.WriteAllBytes(fake, Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0"));
            args.Add($"-p:AdrpoLibStdCxxPath={fake}");
        }
        else if (scenario == "opt-out")
        {
            args.Add("-p:AdrpoPatchTorchSharpNative=false");
        }

        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", args.ToArray());
        byte[] after = File.ReadAllBytes(shim);
        var outcome = ElfVersionNeedPatcher.MakeVersionNeedWeak(after, Version, shim);
        Assert.AreEqual(expectPatched ? ElfPatchOutcome.AlreadyWeak : ElfPatchOutcome.Patched, outcome, $"scenario {scenario}");
    }

    private static string OriginalShim()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(path), $"TorchSharp's original shim not found at {path}");
        return path;
    }

    private static string OutputShim()
    {
        string flat = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        return File.Exists(flat) ? flat : Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        // MSBuild started from inside a test host must not reuse the host's build environment.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBuildSDKsPath");
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var p = Process.Start(info)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.IsTrue(p.WaitForExit(180_000), $"{file} timed out");
        Assert.AreEqual(0, p.ExitCode, $"{file} {string.Join(' ', args)} failed:\n{stdout}\n{stderr}");
    }
}
