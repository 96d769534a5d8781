using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training;

/// <summary>Picks the TorchSharp device from <see cref="MLContext.GpuDeviceId"/> and <see cref="MLContext.FallbackToCpu"/>,
/// the same convention ML.NET's own TorchSharp trainers follow.</summary>
internal static class TorchDeviceSelector
{
    /// <summary>The device for <paramref name="context"/>, asking TorchSharp how many CUDA devices it sees.</summary>
    /// <exception cref="InvalidOperationException">A GPU was asked for, none with that id is available, and FallbackToCpu is false.</exception>
    public static Device Select(MLContext context) =>
        Select(context.GpuDeviceId, context.FallbackToCpu, cuda.is_available() ? cuda.device_count() : 0);

    /// <summary>
    /// The selection itself: null <paramref name="gpuDeviceId"/> means CPU; an id below
    /// <paramref name="cudaDeviceCount"/> means that CUDA device; any other id means CPU when
    /// <paramref name="fallbackToCpu"/> is true and an error otherwise.
    /// </summary>
    public static Device Select(int? gpuDeviceId, bool fallbackToCpu, int cudaDeviceCount)
    {
        if (gpuDeviceId is int id)
        {
            if (id >= 0 && id < cudaDeviceCount)
            {
                return new Device(DeviceType.CUDA, id);
            }

            if (!fallbackToCpu)
            {
                throw new InvalidOperationException($"MLContext.GpuDeviceId is {id}, but CUDA device {id} is not available (TorchSharp sees {cudaDeviceCount}). Reference the CUDA backend (-p:AdrpoTorchBackend=cuda) or set MLContext.FallbackToCpu = true.");
            }
        }

        return CPU;
    }
}
