using System.Text.Json;
using Adrpo.Generation;

namespace Adrpo.Tests.Generation;

/// <summary><see cref="LanguageGenerationSettings"/>' JSON: the new fields round-trip and older files still load.</summary>
[TestClass]
public sealed class LanguageGenerationSettingsTests
{
    [TestMethod]
    public void ComputeThreadsAndAutomaticPromptLengthRoundTrip()
    {
        var settings = new LanguageGenerationSettings { ComputeThreads = 3, MaxNewTokens = 40 };
        string json = JsonSerializer.Serialize(settings);
        StringAssert.Contains(json, "\"compute_threads\":3");
        StringAssert.Contains(json, "\"max_prompt_tokens\":0");
        var back = JsonSerializer.Deserialize<LanguageGenerationSettings>(json)!;
        Assert.AreEqual(settings, back);
        Assert.AreEqual(216, back.ResolvedMaxPromptTokens(256), "0 = the context left after max_new_tokens");
        Assert.AreEqual(1, back.ResolvedMaxPromptTokens(40), "at least 1");
        Assert.AreEqual(64, (back with { MaxPromptTokens = 64 }).ResolvedMaxPromptTokens(256), "an explicit value is kept");
    }

    [TestMethod]
    public void AFileWrittenBeforeComputeThreadsLoadsWithTheAutomaticCount()
    {
        const string old = """{"prompt_column":"Prompt","output_column":"Completion","use_chat_template":true,"enable_thinking":false,"max_new_tokens":32,"max_prompt_tokens":256,"temperature":1,"top_k":0,"top_p":1,"batch_size":8,"seed":5}""";
        var settings = JsonSerializer.Deserialize<LanguageGenerationSettings>(old)!;
        settings.Validate();
        Assert.AreEqual(0, settings.ComputeThreads);
        Assert.AreEqual(256, settings.MaxPromptTokens, "an explicit length from an old file is kept");
    }

    [TestMethod]
    public void ANegativeComputeThreadsIsAnErrorNamingTheField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new LanguageGenerationSettings { ComputeThreads = -1 }.Validate());
        Assert.AreEqual("compute_threads", e.ParamName);
        StringAssert.Contains(e.Message, "Generation setting 'compute_threads' is -1; expected 0 (automatic) or a positive number of threads");
        Assert.AreEqual("max_prompt_tokens", Assert.ThrowsExactly<ArgumentException>(() => new LanguageGenerationSettings { MaxPromptTokens = -1 }.Validate()).ParamName);
    }
}
