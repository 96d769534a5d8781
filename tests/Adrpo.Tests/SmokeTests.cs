using static TorchSharp.torch;

namespace Adrpo.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void TorchLoads()
    {
        using var x = ones(2, 3);
        Assert.AreEqual(6.0, x.sum().item<float>(), 1e-6);
    }
}
