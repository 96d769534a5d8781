using System.Text;
using Adrpo.Native;

namespace Adrpo.Tests.Native;

[TestClass]
[OSCondition(OperatingSystems.Linux)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TorchSharpNativesTests
{
    private const string Version = ElfVersionNeedPatcher.TorchSharpGlibcxxVersion;
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "adrpo-natives-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void InAPackageLayoutWritesAPatchedCopyIntoCpuAndLeavesThePackageFileAlone()
    {
        var (torchSharpDll, packageShim, app) = PackageLayout();
        byte[] before = File.ReadAllBytes(packageShim);

        var report = TorchSharpNatives.EnsureLoadable(torchSharpDll, app, OldLibStdCxx(), preload: false, libTorchVersion: "2.10.0.0", loaded: null);

        string cpuCopy = Path.Combine(Path.GetDirectoryName(torchSharpDll)!, "cpu", "libLibTorchSharp.so");
        Assert.AreEqual(TorchSharpNativeLayout.NuGetPackages, report.Layout);
        Assert.IsTrue(report.PatchNeeded);
        Assert.AreEqual(1, report.Shims.Count, report.ToString());
        Assert.AreEqual(cpuCopy, report.Shims[0].Path);
        Assert.AreEqual(ElfPatchOutcome.Patched, report.Shims[0].Outcome);
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(File.ReadAllBytes(cpuCopy), Version, "copy"));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(packageShim), "the package's own file is never edited");
        Assert.AreEqual(File.GetUnixFileMode(packageShim), File.GetUnixFileMode(cpuCopy), "permissions are kept");
        Assert.AreEqual(0, report.Preloaded.Count);
        Assert.AreEqual(0, Directory.GetFiles(Path.GetDirectoryName(cpuCopy)!, "*.tmp").Length, "no temporary file is left behind");

        var again = TorchSharpNatives.EnsureLoadable(torchSharpDll, app, OldLibStdCxx(), preload: false, libTorchVersion: "2.10.0.0", loaded: null);
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, again.Shims.Single().Outcome, again.ToString());
    }

    [TestMethod]
    public void PatchesACopyTorchSharpAlreadyConsolidatedForAKernel()
    {
        var (torchSharpDll, packageShim, app) = PackageLayout();
        string cpuCopy = Path.Combine(Path.GetDirectoryName(torchSharpDll)!, "cpu", "libLibTorchSharp.so");
        Directory.CreateDirectory(Path.GetDirectoryName(cpuCopy)!);
        File.Copy(packageShim, cpuCopy);    // what TorchSharp's own fallback leaves behind

        var report = TorchSharpNatives.EnsureLoadable(torchSharpDll, app, OldLibStdCxx(), preload: false, libTorchVersion: null, loaded: null);

        Assert.AreEqual(ElfPatchOutcome.Patched, report.Shims.Single().Outcome, report.ToString());
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(File.ReadAllBytes(cpuCopy), Version, "copy"));
    }

    [TestMethod]
    public void WithALibStdCxxThatHasTheVersionNothingIsWritten()
    {
        var (torchSharpDll, _, app) = PackageLayout();
        string fake = Path.Combine(_dir, "libstdc++.so.6");
        File.WriteAllBytes(fake, Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.30\0GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0"));

        var report = TorchSharpNatives.EnsureLoadable(torchSharpDll, app, fake, preload: false, libTorchVersion: "2.10.0.0", loaded: null);

        Assert.IsFalse(report.PatchNeeded);
        Assert.AreEqual(0, report.Shims.Count);
        Assert.IsFalse(Directory.Exists(Path.Combine(Path.GetDirectoryName(torchSharpDll)!, "cpu")));
    }

    [TestMethod]
    public void PreloadsTheMatchingLibTorchPackageAndNamesAFileThatDoesNotLoad()
    {
        var (torchSharpDll, _, app) = PackageLayout();   // its libc10.so is an empty file

        var error = Assert.ThrowsExactly<InvalidOperationException>(() =>
            TorchSharpNatives.EnsureLoadable(torchSharpDll, app, OldLibStdCxx(), preload: true, libTorchVersion: "2.10.0.0", loaded: null));

        StringAssert.Contains(error.Message, Path.Combine("libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native", "libc10.so"));
        var other = TorchSharpNatives.EnsureLoadable(torchSharpDll, app, OldLibStdCxx(), preload: true, libTorchVersion: "2.9.1", loaded: null);
        StringAssert.Contains(other.Note, "2.9.1 was not found among 2.10.0");
        Assert.AreEqual(0, other.Preloaded.Count);
    }

    [TestMethod]
    public void InAnApplicationLayoutPatchesTheOutputCopyInPlace()
    {
        string app = Path.Combine(_dir, "app");
        string shim = Path.Combine(app, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Directory.CreateDirectory(Path.GetDirectoryName(shim)!);
        File.Copy(OriginalShim(), shim);

        var report = TorchSharpNatives.EnsureLoadable(Path.Combine(app, "TorchSharp.dll"), app, OldLibStdCxx(), preload: true, libTorchVersion: "2.10.0.0", loaded: null);

        Assert.AreEqual(TorchSharpNativeLayout.ApplicationFolder, report.Layout);
        Assert.AreEqual(ElfPatchOutcome.Patched, report.Shims.Single().Outcome);
        Assert.AreEqual(0, report.Preloaded.Count, "an application's natives are found by the runtime; nothing is preloaded");
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.MakeVersionNeedWeak(File.ReadAllBytes(shim), Version, "output"));
    }

    [TestMethod]
    public void AnUnrecognisedLayoutChangesNothingAndSaysSo()
    {
        string app = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(app);

        var report = TorchSharpNatives.EnsureLoadable(Path.Combine(app, "TorchSharp.dll"), app, OldLibStdCxx(), preload: true, libTorchVersion: null, loaded: null);

        Assert.AreEqual(TorchSharpNativeLayout.Unrecognized, report.Layout);
        StringAssert.Contains(report.Note, "nothing was changed");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(app).Length);
    }

    [TestMethod]
    public void InThisTestHostFindsTheBuildsPatchedOutputAndPreloadsNothing()
    {
        var report = TorchSharpNatives.EnsureLoadableReport();

        Assert.AreEqual(TorchSharpNativeLayout.ApplicationFolder, report.Layout, report.ToString());
        Assert.AreEqual(0, report.Preloaded.Count);
        foreach (var shim in report.Shims)
        {
            Assert.IsTrue(shim.Outcome is null or ElfPatchOutcome.AlreadyWeak, $"the build already patched {shim}");
        }

        Assert.AreSame(report, TorchSharpNatives.EnsureLoadableReport(), "later calls return the first report");
        using var probe = TorchSharp.torch.ones(2);
        Assert.AreEqual(2f, probe.sum().item<float>());
    }

    /// <summary>A NuGet cache in miniature: torchsharp/0.107.0 with the real shim and libtorch-cpu-linux-x64/2.10.0.</summary>
    private (string TorchSharpDll, string PackageShim, string App) PackageLayout()
    {
        string packages = Path.Combine(_dir, "packages");
        string lib = Path.Combine(packages, "torchsharp", "0.107.0", "lib", "net8.0");
        Directory.CreateDirectory(lib);
        string dll = Path.Combine(lib, "TorchSharp.dll");
        File.WriteAllBytes(dll, []);
        string shim = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Directory.CreateDirectory(Path.GetDirectoryName(shim)!);
        File.Copy(OriginalShim(), shim);
        string natives = Path.Combine(packages, "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(natives);
        File.WriteAllBytes(Path.Combine(natives, "libtorch_cpu.so"), []);
        File.WriteAllBytes(Path.Combine(natives, "libc10.so"), []);
        string app = Path.Combine(_dir, "kernel");
        Directory.CreateDirectory(app);
        return (dll, shim, app);
    }

    /// <summary>A stand-in for Debian 12's libstdc++ (versions up to 3.4.30), whatever this machine has.</summary>
    private string OldLibStdCxx()
    {
        string path = Path.Combine(_dir, "old-libstdc++.so.6");
        File.WriteAllBytes(path, Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0"));
        return path;
    }

    private static string OriginalShim()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(path), $"TorchSharp's original shim not found at {path}");
        return path;
    }
}
