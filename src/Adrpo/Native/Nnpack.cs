using System.Runtime.InteropServices;

namespace Adrpo.Native;

/// <summary>
/// Turns libtorch's NNPACK convolution path off (PyTorch: <c>torch.backends.nnpack.set_flags(False)</c>), which
/// TorchSharp 0.107 does not expose. On CPUs NNPACK does not support, libtorch otherwise logs
/// "Could not initialize NNPACK! Reason: Unsupported hardware." for every convolution (thousands per run here).
/// Results do not change: libtorch falls back to the same convolution it uses when NNPACK is unavailable.
/// The switch is process-wide; call it once, before the first convolution (e.g. before scoring with
/// <c>EmbeddedMiniDrawBench.LoadMatchScorer</c>).
/// </summary>
internal static class Nnpack
{
    /// <summary>Best effort: does nothing where the libtorch symbols cannot be found (e.g. Windows' C++ name mangling).</summary>
    public static void Disable()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            SetUserEnabledNnpack(GlobalContext(), false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Leave the warnings: they are noise, not errors.
        }
    }

    // at::globalContext() and at::Context::setUserEnabledNNPACK(bool), Itanium C++ ABI names.
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static extern IntPtr GlobalContext();

    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
