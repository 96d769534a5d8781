using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training;

/// <summary>Picks the TorchSharp device from <see cref="MLContext.GpuDeviceId"/> and <see cref="MLContext.FallbackToCpu"/>,
/// the same convention ML.NET's own TorchSharp trainers follow.</summary>
internal static class TorchDeviceSelector
{
    public static Device Select(MLContext context)
    {
        if (context.GpuDeviceId is int id)
        {
            if (cuda.is_available() && id >= 0 && id < cuda.device_count())
            {
                return new Device(DeviceType.CUDA, id);
            }

            if (!context.FallbackToCpu)
            {
                throw new InvalidOperationException($"MLContext.GpuDeviceId is {id}, but CUDA device {id} is not available (TorchSharp sees {(cuda.is_available() ? cuda.device_count() : 0)}). Reference the CUDA backend (-p:AdrpoTorchBackend=cuda) or set MLContext.FallbackToCpu = true.");
            }
        }

        return CPU;
    }
}
