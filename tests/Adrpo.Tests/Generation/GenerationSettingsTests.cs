using System.Text.Json;
using Adrpo.Generation;

namespace Adrpo.Tests.Generation;

/// <summary><see cref="GenerationSettings"/>' JSON: ComputeThreads round-trips and older files still load.</summary>
[TestClass]
public sealed class GenerationSettingsTests
{
    [TestMethod]
    public void ComputeThreadsRoundTrips()
    {
        var settings = new GenerationSettings { ComputeThreads = 2, Seed = 4 };
        string json = JsonSerializer.Serialize(settings);
        StringAssert.Contains(json, "\"compute_threads\":2");
        Assert.AreEqual(settings, JsonSerializer.Deserialize<GenerationSettings>(json));
    }

    [TestMethod]
    public void AFileWrittenBeforeComputeThreadsLoadsWithTheAutomaticCount()
    {
        const string old = """{"prompt_column":"Prompt","output_column":"Image","solver":"Euler","ode_steps":20,"guidance_scale":1,"batch_size":16,"seed":3}""";
        var settings = JsonSerializer.Deserialize<GenerationSettings>(old)!;
        settings.Validate();
        Assert.AreEqual(0, settings.ComputeThreads);
        Assert.AreEqual(3, settings.Seed);
    }

    [TestMethod]
    public void ANegativeComputeThreadsIsAnErrorNamingTheField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new GenerationSettings { ComputeThreads = -3 }.Validate());
        Assert.AreEqual("compute_threads", e.ParamName);
        StringAssert.Contains(e.Message, "Generation setting 'compute_threads' is -3; expected 0 (automatic) or a positive number of threads");
    }
}
