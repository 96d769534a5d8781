using Adrpo.Text.Tokenization;

namespace Adrpo.Tests.Text.Tokenization;

[TestClass]
public sealed class ChatMlFormatterTests
{
    [TestMethod]
    public void FormatsAUserPromptFollowedByTheAssistantGenerationPrompt()
    {
        Assert.AreEqual("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", ChatMlFormatter.Qwen3.FormatPrompt("What is 2+2?"));
        Assert.AreEqual(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            ChatMlFormatter.Qwen3.FormatPrompt("Hi", systemPrompt: "Be brief."));
    }

    [TestMethod]
    public void DisabledThinkingAppendsAnEmptyThinkBlockOnlyWhereTheTemplateHasTheSwitch()
    {
        Assert.AreEqual(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            ChatMlFormatter.Qwen3.FormatPrompt("Hi", enableThinking: false));
        var plain = new ChatMlFormatter();
        Assert.AreEqual(plain.FormatPrompt("Hi"), plain.FormatPrompt("Hi", enableThinking: false), "a template without enable_thinking ignores it");
    }

    [TestMethod]
    public void ReadsTheTemplateKindFromTheJinjaSource()
    {
        Assert.IsNull(ChatMlFormatter.FromChatTemplate(null));
        Assert.IsNull(ChatMlFormatter.FromChatTemplate("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"));

        // Qwen3's template (abridged): system message only when given, thinking switch.
        var qwen3 = ChatMlFormatter.FromChatTemplate(
            "{%- if messages[0].role == 'system' %}{{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}{%- endif %}" +
            "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}" +
            "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}");
        Assert.IsNotNull(qwen3);
        Assert.IsTrue(qwen3.SupportsThinkingSwitch);
        Assert.IsNull(qwen3.DefaultSystemPrompt);

        // Qwen2.5's template (abridged): a default system message when the conversation has none, no thinking switch.
        var qwen25 = ChatMlFormatter.FromChatTemplate(
            "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
            "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}");
        Assert.IsNotNull(qwen25);
        Assert.IsFalse(qwen25.SupportsThinkingSwitch);
        Assert.AreEqual("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", qwen25.DefaultSystemPrompt);
        Assert.AreEqual(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            qwen25.FormatPrompt("Hi", enableThinking: false));
        StringAssert.StartsWith(qwen25.FormatPrompt("Hi", systemPrompt: "Custom."), "<|im_start|>system\nCustom.<|im_end|>\n");
    }
}
