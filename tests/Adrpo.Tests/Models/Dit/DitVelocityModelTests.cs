using Adrpo.Models.Dit;
using Adrpo.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Tests.Models.Dit;

[TestClass]
public sealed class DitVelocityModelTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void OutputHasTheSampleShapeAndIsExactlyZeroAtInitialisation()
    {
        using var model = DitTestModels.Create();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        using var v = model.Forward(xt, t, c);
        CollectionAssert.AreEqual(new long[] { 2, 3, 32, 32 }, v.shape);
        Assert.AreEqual(0.0, v.abs().max().item<float>(), "DiT zero-inits the final layer, so the first velocity is exactly 0");
        model.SetTraining(false);
        Assert.IsFalse(model.training);
        model.SetTraining(true);
        Assert.IsTrue(model.training);
    }

    [TestMethod]
    [TestCategory(LearningTest.Category)]
    public void OverfittingOneBatchMakesTheOutputNonZeroAndTheLossFall() => LearningTest.WithThreads(() =>
    {
        using var model = DitTestModels.Create();
        var gen = new Generator((ulong)LearningTest.Seed(3));
        var x0 = randn(new long[] { 4, 3, 32, 32 }, generator: gen);
        var x1 = randn(new long[] { 4, 3, 32, 32 }, generator: gen).tanh();
        var t = rand(new long[] { 4 }, generator: gen);
        var c = randn(new long[] { 4, 8 }, generator: gen);
        var optimizer = optim.Adam(model.TrainableParameters(), lr: 3e-3);
        var losses = new List<double>();
        for (int step = 0; step < 30; step++)
        {
            optimizer.zero_grad();
            using var loss = DitTestModels.CfmLoss(model, x0, x1, t, c);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
            if (step == 0)
            {
                using var v = model.Forward(x0, t, c);
                Assert.IsTrue(v.abs().max().item<float>() > 0, "one Adam step moves the zero-initialised final layer");
            }
        }

        TestContext.WriteLine($"CFM loss: first {losses[0]:F4}, last {losses[^1]:F4}");
        LearningTest.Record("DiT overfits one batch: 1 - last/first loss", 1 - (losses[^1] / losses[0]), 0.2);
        Assert.IsTrue(losses[^1] < 0.8 * losses[0], $"loss should fall when overfitting one batch: {losses[0]:F4} -> {losses[^1]:F4}");
        return 0;
    });

    [TestMethod]
    public void DifferentConditionsGiveDifferentOutputsAfterTraining()
    {
        using var model = DitTestModels.Create();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        var optimizer = optim.Adam(model.TrainableParameters(), lr: 1e-2);
        var target = randn(new long[] { 2, 3, 32, 32 }, generator: new Generator(4));
        for (int step = 0; step < 4; step++)
        {
            optimizer.zero_grad();
            using var loss = (model.Forward(xt, t, c) - target).square().mean();
            loss.backward();
            optimizer.step();
        }

        using var _ = no_grad();
        var other = randn(new long[] { 2, 8 }, generator: new Generator(5));
        double difference = (model.Forward(xt, t, c) - model.Forward(xt, t, other)).abs().max().item<float>();
        Assert.IsTrue(difference > 1e-4, $"the condition must reach the output (max difference {difference:E2})");
        double timeDifference = (model.Forward(xt, t, c) - model.Forward(xt, 1 - t, c)).abs().max().item<float>();
        Assert.IsTrue(timeDifference > 1e-4, $"the time must reach the output (max difference {timeDifference:E2})");
    }

    [TestMethod]
    public void WrongInputShapesThrowNamingTheTensorAndTheExpectedShape()
    {
        using var model = DitTestModels.Create();
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(zeros(2, 3, 16, 16), t, c));
        Assert.AreEqual("xt", e.ParamName);
        StringAssert.Contains(e.Message, "[batch, 3, 32, 32]");
        Assert.AreEqual("xt", Assert.ThrowsExactly<ArgumentException>(() => model.Forward(zeros(2, 32, 32), t, c)).ParamName);
        Assert.AreEqual("t", Assert.ThrowsExactly<ArgumentException>(() => model.Forward(xt, zeros(3), c)).ParamName);
        var ce = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(xt, t, zeros(2, 7)));
        Assert.AreEqual("condition", ce.ParamName);
        StringAssert.Contains(ce.Message, "[2, 8]");
        Assert.AreEqual("xt", Assert.ThrowsExactly<ArgumentException>(() => model.Forward(xt.to_type(ScalarType.Float64), t, c)).ParamName);
        using var v = model.Forward(xt, t, c); // the process survived and the model still works
        CollectionAssert.AreEqual(new long[] { 2, 3, 32, 32 }, v.shape);
    }

    [TestMethod]
    public void SameSeedGivesTheSameWeights()
    {
        using var a = DitTestModels.Create(seed: 9);
        using var b = DitTestModels.Create(seed: 9);
        using var other = DitTestModels.Create(seed: 10);
        var pa = a.state_dict();
        var pb = b.state_dict();
        var po = other.state_dict();
        Assert.IsTrue(pa.Keys.All(k => DitTestModels.Identical(pa[k], pb[k])), "same seed, same weights");
        Assert.IsFalse(DitTestModels.Identical(pa["blocks.0.attn.qkv.weight"], po["blocks.0.attn.qkv.weight"]), "another seed, other weights");
    }

    [TestMethod]
    public void PositionTableIsDiTs2dSinCosAndMovesWithTheModel()
    {
        using var model = DitTestModels.Create();
        var table = model.state_dict()["x_embedder.pos_embed"];
        CollectionAssert.AreEqual(new long[] { 1, 64, 32 }, table.shape);

        // hidden 32: features [0, 8) sin(col w_k), [8, 16) cos(col w_k), [16, 24) sin(row w_k), [24, 32) cos(row w_k),
        // w_k = 10000^(-k/8). Token 1 is (row 0, col 1); token 8 is (row 1, col 0).
        double w1 = Math.Pow(10000, -1.0 / 8);
        TensorAssert.Close(table[0, 1, TensorIndex.Tensor(tensor(new long[] { 0, 1, 8, 16, 24 }))], new[] { Math.Sin(1), Math.Sin(w1), Math.Cos(1), 0, 1 }, 1e-6, "token 1");
        TensorAssert.Close(table[0, 8, TensorIndex.Tensor(tensor(new long[] { 0, 8, 16, 17, 24 }))], new[] { 0, 1, Math.Sin(1), Math.Sin(w1), Math.Cos(1) }, 1e-6, "token 8");

        model.to(ScalarType.Float64);
        Assert.AreEqual(ScalarType.Float64, model.state_dict()["x_embedder.pos_embed"].dtype, "the table is a buffer that Module.to converts");
        var (xt, t, c) = DitTestModels.Inputs(batch: 2);
        using var v = model.Forward(xt.to_type(ScalarType.Float64), t, c);
        Assert.AreEqual(ScalarType.Float64, v.dtype);
    }

    [TestMethod]
    public void DefaultConfigParameterCountIsCpuSized()
    {
        using var model = new DitVelocityModel(new DitConfig(), new Generator(0));
        long count = model.parameters().Sum(p => p.numel());
        TestContext.WriteLine($"DiT default config (hidden 128, 4 layers, 4 heads, patch 4, 3x32x32, condition 384): {count:N0} parameters");
        Assert.IsTrue(count is > 500_000 and < 2_000_000, $"{count} parameters");
        Assert.AreEqual(count, model.TrainableParameters().Sum(p => p.numel()), "without adapters every parameter trains");
    }
}
