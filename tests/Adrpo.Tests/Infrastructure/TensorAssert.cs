using static TorchSharp.torch;

namespace Adrpo.Tests.Infrastructure;

internal static class TensorAssert
{
    /// <summary>Asserts element-wise |actual - expected| &lt;= 1e-5 |expected| + atol; returns the largest relative difference.</summary>
    public static double Close(string name, Tensor actual, long[] expectedShape, double[] expected, double rtol = 1e-5, double atol = 1e-12)
    {
        CollectionAssert.AreEqual(expectedShape, actual.shape, $"{name}: shape");
        double[] a = actual.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        Assert.AreEqual(expected.Length, a.Length, $"{name}: element count");
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Abs(a[i] - expected[i]);
            Assert.IsTrue(diff <= rtol * Math.Abs(expected[i]) + atol, $"{name}[{i}]: C# {a[i]:R} vs reference {expected[i]:R} (difference {diff:E3})");
            if (Math.Abs(expected[i]) > 1e-9)
            {
                worst = Math.Max(worst, diff / Math.Abs(expected[i]));
            }
        }

        return worst;
    }

    public static void Close(Tensor actual, double[] expected, double tolerance = 1e-6, string message = "")
    {
        double[] a = actual.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        Assert.AreEqual(expected.Length, a.Length, $"{message} element count");
        for (int i = 0; i < a.Length; i++)
        {
            Assert.AreEqual(expected[i], a[i], tolerance, $"{message} element {i}");
        }
    }

    public static void Close(Tensor scalar, double expected, double tolerance = 1e-6, string message = "") =>
        Assert.AreEqual(expected, scalar.to_type(ScalarType.Float64).item<double>(), tolerance, message);
}
