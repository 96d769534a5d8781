using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Adrpo.Native;

/// <summary>
/// Makes TorchSharp's native runtime loadable in processes that the Adrpo build step never touched: notebook kernels
/// (Polyglot Notebooks, <c>dotnet-repl</c>) and scripts that load TorchSharp straight from the NuGet package cache.
/// Call <see cref="EnsureLoadable()"/> once, before the first TorchSharp call.
/// </summary>
/// <remarks>
/// <para>Two things go wrong there on Linux, and this class fixes both:</para>
/// <list type="number">
/// <item><description>TorchSharp 0.107.0's <c>libLibTorchSharp.so</c> needs <c>GLIBCXX_3.4.32</c>, which Debian 12's
/// libstdc++ lacks (see <see cref="ElfVersionNeedPatcher"/>). Applications get a patched copy from the build; a
/// kernel loads the package's own file, which must never be edited. A patched copy is written next to
/// <c>TorchSharp.dll</c>, in the <c>cpu/</c> folder TorchSharp itself uses for kernels, and any copy already
/// there is patched.</description></item>
/// <item><description>TorchSharp's first load asks for <c>torch_cpu</c> by bare name, which a kernel resolves through the
/// system library path: a system LibTorch (Debian's <c>python3-torch</c>, for example) is picked up instead of the
/// <c>libtorch-cpu-*</c> package and the shim then fails with an undefined symbol. The package's
/// <c>libc10</c>, <c>libtorch_cpu</c> and <c>libtorch</c> and the (patched) shim are therefore loaded by full path
/// first, so TorchSharp finds them already loaded.</description></item>
/// </list>
/// <para>In an application whose output folder holds the natives (the normal <c>dotnet build</c> case), only the
/// output copies are checked and patched when needed; nothing is preloaded. On Windows and macOS nothing is done.</para>
/// </remarks>
public static class TorchSharpNatives
{
    private const string ShimFileName = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static TorchSharpNativeReport? _completed;

    /// <summary>
    /// Finds the TorchSharp native files this process will load, patches <c>libLibTorchSharp.so</c> where the system
    /// libstdc++ needs it, and (when TorchSharp runs from the NuGet package cache) preloads the LibTorch CPU natives.
    /// Idempotent: later calls return the first call's report. Call it before the first TorchSharp call; once
    /// TorchSharp has failed to load, the process must be restarted.
    /// </summary>
    /// <returns>What was found and done, one line per native file.</returns>
    /// <exception cref="InvalidOperationException">A native library could not be loaded; the message holds the
    /// loader's reason and the file.</exception>
    public static string EnsureLoadable() => EnsureLoadableReport().ToString();

    /// <summary>
    /// Turns libtorch's NNPACK convolution path off, which TorchSharp 0.107 does not expose. On CPUs NNPACK does not
    /// support, libtorch otherwise logs "Could not initialize NNPACK! Reason: Unsupported hardware." for every
    /// convolution. Results do not change. Process-wide; call it once, before the first convolution. Best effort: it
    /// does nothing where the libtorch symbols cannot be found (e.g. Windows' C++ name mangling).
    /// </summary>
    public static void DisableNnpack() => Nnpack.Disable();

    /// <summary>As <see cref="EnsureLoadable()"/>, returning the structured report (for tests and diagnostics).</summary>
    internal static TorchSharpNativeReport EnsureLoadableReport()
    {
        lock (Gate)
        {
            if (_completed is not null)
            {
                return _completed;
            }

            if (!OperatingSystem.IsLinux())
            {
                return _completed = new TorchSharpNativeReport(TorchSharpNativeLayout.NotLinux, false, null, [], [], null, "Only Linux needs this step.");
            }

            string torchSharp = typeof(TorchSharp.torch).Assembly.Location;
            return _completed = EnsureLoadable(torchSharp, AppContext.BaseDirectory, ElfVersionNeedPatcher.FindSystemLibStdCxx(), preload: true, LibTorchVersionFromTorchSharp(), LoadedShim());
        }
    }

    /// <summary>The work of <see cref="EnsureLoadable()"/> on explicit folders (Linux only); tests call it directly.</summary>
    /// <param name="torchSharpAssemblyPath">Full path of the loaded TorchSharp.dll; empty when unknown (single-file apps).</param>
    /// <param name="applicationDirectory">The application's base folder.</param>
    /// <param name="libStdCxxPath">The libstdc++ the loader uses; null when none was found (nothing is patched).</param>
    /// <param name="preload">Load the natives by full path when TorchSharp runs from the package cache.</param>
    /// <param name="libTorchVersion">LibTorch package version TorchSharp expects (e.g. "2.10.0"); null to pick the only one restored.</param>
    /// <param name="loaded">A <c>libLibTorchSharp.so</c> already mapped into the process (nothing is preloaded then), or null.</param>
    internal static TorchSharpNativeReport EnsureLoadable(string torchSharpAssemblyPath, string applicationDirectory, string? libStdCxxPath, bool preload, string? libTorchVersion, string? loaded)
    {
        bool patchNeeded = libStdCxxPath is not null && File.Exists(libStdCxxPath)
            && !ElfVersionNeedPatcher.LibraryDefinesVersion(libStdCxxPath, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion);
        string rid = NativeRid();
        var shims = new List<TorchSharpNativeFile>();

        // 1. Application layout: the build copied the natives (and patched them); check them again, cheaply.
        string? torchSharpFolder = string.IsNullOrEmpty(torchSharpAssemblyPath) ? null : Path.GetDirectoryName(Path.GetFullPath(torchSharpAssemblyPath));
        var appFolders = new List<string> { applicationDirectory };
        if (torchSharpFolder is not null && !SamePath(torchSharpFolder, applicationDirectory) && !LooksLikePackage(torchSharpFolder, out _, out _))
        {
            appFolders.Add(torchSharpFolder);
        }

        foreach (string folder in appFolders)
        {
            foreach (string candidate in new[] { Path.Combine(folder, ShimFileName), Path.Combine(folder, "runtimes", rid, "native", ShimFileName), Path.Combine(folder, "cpu", ShimFileName) })
            {
                if (File.Exists(candidate))
                {
                    shims.Add(new TorchSharpNativeFile(Path.GetFullPath(candidate), patchNeeded ? Patch(candidate) : null));
                }
            }
        }

        if (shims.Count > 0)
        {
            return new TorchSharpNativeReport(TorchSharpNativeLayout.ApplicationFolder, patchNeeded, libStdCxxPath, shims, [], loaded, null);
        }

        // 2. NuGet package layout: <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll (notebook kernels, scripts).
        if (torchSharpFolder is null || !LooksLikePackage(torchSharpFolder, out string packageHome, out string packagesRoot))
        {
            return new TorchSharpNativeReport(TorchSharpNativeLayout.Unrecognized, patchNeeded, libStdCxxPath, [], [], loaded,
                $"No {ShimFileName} next to the application ('{applicationDirectory}') and TorchSharp.dll ('{torchSharpAssemblyPath}') is not in a NuGet package folder; nothing was changed.");
        }

        // Copies TorchSharp already consolidated for a kernel (cpu/, cuda-*/) are patched in place.
        foreach (string folder in Directory.GetDirectories(torchSharpFolder))
        {
            string copy = Path.Combine(folder, ShimFileName);
            if (File.Exists(copy))
            {
                shims.Add(new TorchSharpNativeFile(copy, patchNeeded ? Patch(copy) : null));
            }
        }

        string original = Path.Combine(packageHome, "runtimes", rid, "native", ShimFileName);
        string cpuCopy = Path.Combine(torchSharpFolder, "cpu", ShimFileName);
        string shimToLoad = original;
        if (patchNeeded)
        {
            if (!File.Exists(cpuCopy) && File.Exists(original))
            {
                shims.Add(new TorchSharpNativeFile(cpuCopy, CreatePatchedCopy(original, cpuCopy)));
            }

            shimToLoad = cpuCopy;
        }

        var preloaded = new List<string>();
        string? note = null;
        if (loaded is not null)
        {
            note = $"{ShimFileName} is already loaded from '{loaded}'; nothing was preloaded.";
        }
        else if (preload)
        {
            string? natives = FindLibTorchNatives(packagesRoot, rid, libTorchVersion, out note);
            if (natives is not null && File.Exists(shimToLoad))
            {
                foreach (string file in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" }.Select(f => Path.Combine(natives, f)).Append(shimToLoad))
                {
                    Load(file);
                    preloaded.Add(file);
                }
            }
            else if (natives is not null)
            {
                note = $"TorchSharp's {ShimFileName} was not found at '{original}'; nothing was preloaded.";
            }
        }

        return new TorchSharpNativeReport(TorchSharpNativeLayout.NuGetPackages, patchNeeded, libStdCxxPath, shims, preloaded, loaded, note);
    }

    private static ElfPatchOutcome Patch(string path) =>
        ElfVersionNeedPatcher.MakeVersionNeedWeak(path, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion);

    /// <summary>Writes a patched copy of <paramref name="original"/> to <paramref name="target"/> through a temp file and a rename.</summary>
    private static ElfPatchOutcome CreatePatchedCopy(string original, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        byte[] image = File.ReadAllBytes(original);
        ElfPatchOutcome outcome = ElfVersionNeedPatcher.MakeVersionNeedWeak(image, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion, original);
        string temp = target + ".adrpo-" + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.Copy(original, temp);          // the original's permission bits
            File.WriteAllBytes(temp, image);
            File.Move(temp, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Another process (or TorchSharp) put a copy there first: patch that one instead.
            return Patch(target);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        return outcome;
    }

    private static string? FindLibTorchNatives(string packagesRoot, string rid, string? version, out string? note)
    {
        note = null;
        string package = Path.Combine(packagesRoot, "libtorch-cpu-" + rid);
        string[] versions = Directory.Exists(package)
            ? Directory.GetDirectories(package).Where(v => File.Exists(Path.Combine(v, "runtimes", rid, "native", "libtorch_cpu.so"))).ToArray()
            : [];
        string? chosen = version is not null
            ? versions.FirstOrDefault(v => string.Equals(NuGetFolderVersion(Path.GetFileName(v)), NuGetFolderVersion(version), StringComparison.OrdinalIgnoreCase))
            : versions.Length == 1 ? versions[0] : null;
        if (chosen is null)
        {
            note = versions.Length == 0
                ? $"No libtorch-cpu-{rid} package was found under '{packagesRoot}' (a CUDA runtime, or TorchSharp-cpu not referenced: add #r \"nuget: TorchSharp-cpu, <version>\"); nothing was preloaded."
                : $"libtorch-cpu-{rid} {version ?? "(version unknown)"} was not found among {string.Join(", ", versions.Select(Path.GetFileName))} under '{package}'; nothing was preloaded.";
            return null;
        }

        return Path.Combine(chosen, "runtimes", rid, "native");
    }

    /// <summary>NuGet's folder name for a version: "2.10.0.0" is restored as "2.10.0".</summary>
    private static string NuGetFolderVersion(string version) =>
        Version.TryParse(version, out var v) && v.Revision <= 0 ? $"{v.Major}.{v.Minor}.{Math.Max(v.Build, 0)}" : version;

    private static void Load(string file)
    {
        try
        {
            NativeLibrary.Load(file);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new InvalidOperationException($"Adrpo could not load TorchSharp's native library '{file}': {e.Message}", e);
        }
    }

    /// <summary>The LibTorch package version TorchSharp was built against, read without running TorchSharp's static constructor.</summary>
    private static string? LibTorchVersionFromTorchSharp()
    {
        FieldInfo? field = typeof(TorchSharp.torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static);
        return field is { IsLiteral: true } ? field.GetRawConstantValue() as string : null;
    }

    /// <summary>True for <c>&lt;packages&gt;/torchsharp/&lt;version&gt;/lib/&lt;tfm&gt;</c>.</summary>
    private static bool LooksLikePackage(string torchSharpFolder, out string packageHome, out string packagesRoot)
    {
        var lib = Directory.GetParent(torchSharpFolder);
        var home = lib?.Parent;
        var id = home?.Parent;
        packageHome = home?.FullName ?? string.Empty;
        packagesRoot = id?.Parent?.FullName ?? string.Empty;
        return lib is not null && home is not null && id?.Parent is not null
            && string.Equals(lib.Name, "lib", StringComparison.OrdinalIgnoreCase)
            && string.Equals(id.Name, "torchsharp", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The path of a <c>libLibTorchSharp.so</c> mapped into this process, from /proc/self/maps; null if none.</summary>
    private static string? LoadedShim()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && line.EndsWith("/" + ShimFileName, StringComparison.Ordinal))
                {
                    return line[slash..];
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static string NativeRid() => "linux-" + RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.Arm64 => "arm64",
        _ => "x64",
    };

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a).TrimEnd('/'), Path.GetFullPath(b).TrimEnd('/'), StringComparison.Ordinal);
}

/// <summary>Where TorchSharp's natives come from in this process (see <see cref="TorchSharpNatives"/>).</summary>
internal enum TorchSharpNativeLayout
{
    /// <summary>Windows or macOS: nothing to do.</summary>
    NotLinux,

    /// <summary>The application's output folder holds <c>libLibTorchSharp.so</c> (a built or published app).</summary>
    ApplicationFolder,

    /// <summary>TorchSharp runs from the NuGet package cache (a notebook kernel or a script).</summary>
    NuGetPackages,

    /// <summary>Neither layout was recognised; nothing was changed.</summary>
    Unrecognized,
}

/// <summary>One <c>libLibTorchSharp.so</c> that <see cref="TorchSharpNatives.EnsureLoadable()"/> looked at.</summary>
internal sealed class TorchSharpNativeFile
{
    /// <summary>Creates a record of one file.</summary>
    /// <param name="path">Full path of the file.</param>
    /// <param name="outcome">What patching did; null when the system libstdc++ has the version and the file was not inspected.</param>
    public TorchSharpNativeFile(string path, ElfPatchOutcome? outcome)
    {
        Path = path;
        Outcome = outcome;
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>What patching did (<see cref="ElfPatchOutcome.Patched"/>, <see cref="ElfPatchOutcome.AlreadyWeak"/>, ...);
    /// null when no patch was needed on this system and the file was not inspected.</summary>
    public ElfPatchOutcome? Outcome { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {(Outcome?.ToString() ?? "not inspected (no patch needed)")}";
}

/// <summary>What <see cref="TorchSharpNatives.EnsureLoadable()"/> found and did.</summary>
internal sealed class TorchSharpNativeReport
{
    internal TorchSharpNativeReport(TorchSharpNativeLayout layout, bool patchNeeded, string? libStdCxxPath, IReadOnlyList<TorchSharpNativeFile> shims, IReadOnlyList<string> preloaded, string? loadedShim, string? note)
    {
        Layout = layout;
        PatchNeeded = patchNeeded;
        LibStdCxxPath = libStdCxxPath;
        Shims = shims;
        Preloaded = preloaded;
        LoadedShim = loadedShim;
        Note = note;
    }

    /// <summary>Where TorchSharp's natives come from.</summary>
    internal TorchSharpNativeLayout Layout { get; }

    /// <summary>True when the system libstdc++ lacks <see cref="ElfVersionNeedPatcher.TorchSharpGlibcxxVersion"/>, so shims are patched.</summary>
    public bool PatchNeeded { get; }

    /// <summary>The libstdc++ that was tested; null when none was found.</summary>
    public string? LibStdCxxPath { get; }

    /// <summary>The <c>libLibTorchSharp.so</c> files checked or written, with what patching did to each.</summary>
    internal IReadOnlyList<TorchSharpNativeFile> Shims { get; }

    /// <summary>Native libraries loaded by full path, in order (empty unless TorchSharp runs from the package cache).</summary>
    public IReadOnlyList<string> Preloaded { get; }

    /// <summary>The <c>libLibTorchSharp.so</c> already mapped into the process before the call, if any.</summary>
    public string? LoadedShim { get; }

    /// <summary>Why something was skipped, or null.</summary>
    public string? Note { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder($"TorchSharp natives: {Layout}; patch {(PatchNeeded ? "needed" : "not needed")} ({LibStdCxxPath ?? "no libstdc++ found"})");
        foreach (var shim in Shims)
        {
            text.Append("\n  ").Append(shim);
        }

        foreach (string file in Preloaded)
        {
            text.Append("\n  preloaded ").Append(file);
        }

        if (Note is not null)
        {
            text.Append("\n  ").Append(Note);
        }

        return text.ToString();
    }
}
