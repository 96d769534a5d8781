using TorchSharp;

namespace Adrpo.Native;

/// <summary>
/// Checks, once per process, that TorchSharp's native runtime (LibTorch and the <c>LibTorchSharp</c> shim) loads, so an
/// application that forgot the runtime package gets an error that names it instead of a loader message about an
/// undefined C++ symbol.
/// </summary>
/// <remarks>
/// Adrpo references only the managed <c>TorchSharp</c> package; the application chooses the native runtime
/// (<c>TorchSharp-cpu</c>, <c>TorchSharp-cuda-linux</c> or <c>TorchSharp-cuda-windows</c>). Without one, TorchSharp 0.107.0
/// throws, depending on which call comes first, a <see cref="DllNotFoundException"/> ("libLibTorchSharp.so: undefined
/// symbol: _ZNK3c105Error4whatEv": the managed package ships the shim but not LibTorch), or a
/// <see cref="TypeInitializationException"/> of <c>TorchSharp.torch</c> wrapping a <see cref="NotSupportedException"/>
/// (seen by experiment on Linux x64). The Adrpo entry points that first touch libtorch (model constructors and
/// loaders, trainers, generator transformers, safetensors files) call <see cref="EnsureAvailable"/>; after the first
/// call it only reads a field.
/// </remarks>
internal static class TorchRuntime
{
    private static readonly object Gate = new();
    private static volatile bool _available;
    private static Exception? _failure;

    /// <summary>The TorchSharp version the runtime package must match (the managed assembly's, e.g. 0.107.0).</summary>
    internal static string TorchSharpVersion
    {
        get
        {
            var v = typeof(torch).Assembly.GetName().Version;
            return v is null ? "0.107.0" : $"{v.Major}.{v.Minor}.{Math.Max(v.Build, 0)}";
        }
    }

    /// <summary>Throws an <see cref="InvalidOperationException"/> naming the missing runtime package when LibTorch does not load.</summary>
    /// <exception cref="InvalidOperationException">TorchSharp's natives could not be loaded; the inner exception is TorchSharp's own.</exception>
    public static void EnsureAvailable()
    {
        if (_available)
        {
            return;
        }

        lock (Gate)
        {
            if (_available)
            {
                return;
            }

            if (_failure is null)
            {
                try
                {
                    // Any call into the shim loads the backend (torch's static constructor) and then resolves a P/Invoke;
                    // it does not choose CPU or CUDA, so a later CUDA initialisation is unaffected.
                    _ = torch.get_num_threads();
                    _available = true;
                    return;
                }
                catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or EntryPointNotFoundException or BadImageFormatException)
                {
                    // TorchSharp cannot retry once its type initializer failed; the first failure is the one to report.
                    _failure = e;
                }
            }

            throw Missing(_failure);
        }
    }

    /// <summary>Runs <see cref="EnsureAvailable"/> and returns <paramref name="value"/>: for constructor chains
    /// (<c>: base(TorchRuntime.Checked(name))</c>), whose base call would otherwise reach libtorch first.</summary>
    public static T Checked<T>(T value)
    {
        EnsureAvailable();
        return value;
    }

    private static InvalidOperationException Missing(Exception cause)
    {
        string version = TorchSharpVersion;
        return new InvalidOperationException(
            $"TorchSharp's native runtime (LibTorch) could not be loaded. Adrpo references only the managed TorchSharp package; "
            + $"the application must reference a TorchSharp runtime package of version {version}: for the CPU, "
            + $"<PackageReference Include=\"TorchSharp-cpu\" Version=\"{version}\" /> (dotnet add package TorchSharp-cpu --version {version}); "
            + $"for CUDA, TorchSharp-cuda-linux or TorchSharp-cuda-windows {version}. If the app already references one: in a notebook "
            + "kernel or script call Adrpo.Native.TorchSharpNatives.EnsureLoadable() before the first Adrpo call; on Debian 12 build "
            + "with the Adrpo package's build step enabled (it patches libLibTorchSharp.so). TorchSharp's own error is the inner exception: "
            + FirstLine(cause),
            cause);
    }

    private static string FirstLine(Exception e)
    {
        var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
        string message = inner.Message;
        int end = message.IndexOf('\n', StringComparison.Ordinal);
        return $"{inner.GetType().Name}: {(end < 0 ? message : message[..end]).Trim()}";
    }
}
