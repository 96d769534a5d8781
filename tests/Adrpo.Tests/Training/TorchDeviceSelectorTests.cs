using Adrpo.Training;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Training;

[TestClass]
public sealed class TorchDeviceSelectorTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(2)]
    public void NoGpuDeviceIdSelectsTheCpuWhateverCudaSees(int cudaDevices)
    {
        var device = TorchDeviceSelector.Select(null, fallbackToCpu: false, cudaDevices);

        Assert.AreEqual(DeviceType.CPU, device.type);
    }

    [TestMethod]
    public void AnAvailableGpuDeviceIdSelectsThatCudaDevice()
    {
        var device = TorchDeviceSelector.Select(1, fallbackToCpu: false, cudaDeviceCount: 2);

        Assert.AreEqual(DeviceType.CUDA, device.type);
        Assert.AreEqual(1, device.index);
    }

    [TestMethod]
    [DataRow(0, 0)]
    [DataRow(2, 2)]
    [DataRow(-1, 1)]
    public void AnUnavailableGpuFallsBackToTheCpuWhenAllowed(int gpuDeviceId, int cudaDevices)
    {
        var device = TorchDeviceSelector.Select(gpuDeviceId, fallbackToCpu: true, cudaDevices);

        Assert.AreEqual(DeviceType.CPU, device.type);
    }

    [TestMethod]
    public void AnUnavailableGpuWithoutFallbackNamesBothOptionsAndTheCudaBackendSwitch()
    {
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => TorchDeviceSelector.Select(0, fallbackToCpu: false, cudaDeviceCount: 0));

        StringAssert.Contains(error.Message, "MLContext.GpuDeviceId is 0");
        StringAssert.Contains(error.Message, "TorchSharp sees 0");
        StringAssert.Contains(error.Message, "MLContext.FallbackToCpu = true");
        StringAssert.Contains(error.Message, "-p:AdrpoTorchBackend=cuda");
    }

    [TestMethod]
    public void TheContextOverloadReadsGpuDeviceIdAndFallbackToCpu()
    {
        // No machine has 1000 CUDA devices, so this id is unavailable everywhere, with or without a GPU.
        Assert.AreEqual(DeviceType.CPU, TorchDeviceSelector.Select(new MLContext()).type);
        Assert.AreEqual(DeviceType.CPU, TorchDeviceSelector.Select(new MLContext { GpuDeviceId = 1000, FallbackToCpu = true }).type);
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => TorchDeviceSelector.Select(new MLContext { GpuDeviceId = 1000, FallbackToCpu = false }));
        StringAssert.Contains(error.Message, "MLContext.GpuDeviceId is 1000");
    }
}
