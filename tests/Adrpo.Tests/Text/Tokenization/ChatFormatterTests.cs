using Adrpo.Text.Tokenization;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// The formatter picked for each family's chat template, and its exact prompt text. The templates are the published
/// ones (Llama 3.1's without its tool branches); every expected string was rendered from them with jinja2 3.1.6 as
/// transformers sets it up (trim_blocks, lstrip_blocks), system message and user message " What is 2+2?\n".
/// </summary>
[TestClass]
public sealed class ChatFormatterTests
{
    private const string User = " What is 2+2?\n";

    [TestMethod]
    public void Llama30WritesTrimmedHeadersAndASystemBlockOnlyWhenGiven()
    {
        var chat = Pick<Llama3ChatFormatter>(Llama30Template, "<|begin_of_text|>");
        Assert.AreEqual(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            chat.FormatPrompt(User));
        Assert.AreEqual(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            chat.FormatPrompt(User, systemPrompt: "Be brief. "));
        Assert.IsFalse(chat.SupportsThinkingSwitch);
        Assert.AreEqual(chat.FormatPrompt(User), chat.FormatPrompt(User, enableThinking: false), "no thinking switch");
    }

    [TestMethod]
    public void Llama31AlwaysWritesTheKnowledgeDatePreamble()
    {
        var chat = Pick<Llama3ChatFormatter>(Llama31Template, "<|begin_of_text|>");
        const string system = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";
        const string rest = "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        Assert.AreEqual(system + "<|eot_id|>" + rest, chat.FormatPrompt(User));
        Assert.AreEqual(system + "Be brief.<|eot_id|>" + rest, chat.FormatPrompt(User, systemPrompt: "Be brief. "));
        Assert.AreEqual("1 Jan 2025", Pick<Llama3ChatFormatter>(Llama31Template.Replace("26 Jul 2024", "1 Jan 2025"), "<|begin_of_text|>").KnowledgeDate, "the template's own default date");
    }

    [TestMethod]
    public void SmolLm2IsChatMlWithItsDefaultSystemMessage()
    {
        var chat = Pick<ChatMlFormatter>(SmolLm2Template, "<|im_start|>");
        Assert.AreEqual(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\n What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n",
            chat.FormatPrompt(User));
        Assert.AreEqual(
            "<|im_start|>system\nBe brief. <|im_end|>\n<|im_start|>user\n What is 2+2?\n<|im_end|>\n<|im_start|>assistant\n",
            chat.FormatPrompt(User, systemPrompt: "Be brief. "));
    }

    [TestMethod]
    public void MistralWritesInstBlocksAsEachTemplateVersionDoes()
    {
        var v01 = Pick<MistralChatFormatter>(Mistral01Template, "<s>");
        Assert.AreEqual("<s>[INST]  What is 2+2?\n [/INST]", v01.FormatPrompt(User));
        var e = Assert.ThrowsExactly<ArgumentException>(() => v01.FormatPrompt(User, systemPrompt: "Be brief. "));
        Assert.AreEqual("systemPrompt", e.ParamName, "v0.1's template raises on a system message");

        var v03 = Pick<MistralChatFormatter>(Mistral03Template, "<s>");
        Assert.AreEqual("<s>[INST]  What is 2+2?\n[/INST]", v03.FormatPrompt(User));
        Assert.AreEqual("<s>[INST] Be brief. \n\n What is 2+2?\n[/INST]", v03.FormatPrompt(User, systemPrompt: "Be brief. "));
    }

    private static T Pick<T>(string template, string bosToken)
        where T : ChatFormatter
    {
        var formatter = ChatFormatter.ForChatTemplate(template, bosToken);
        Assert.IsInstanceOfType<T>(formatter, $"expected a {typeof(T).Name}");
        return (T)formatter;
    }

    [TestMethod]
    public void UnknownTemplatesGetNoFormatter()
    {
        Assert.IsNull(ChatFormatter.ForChatTemplate(null, "<s>"));
        Assert.IsNull(ChatFormatter.ForChatTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", "<s>"));
    }

    private const string Llama30Template = """
{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}
""";

    private const string Llama31Template = """
{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = "26 Jul 2024" %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{{- system_message }}
{{- "<|eot_id|>" }}
{%- for message in messages %}
    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
""";

    private const string SmolLm2Template = """
{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}
""";

    private const string Mistral01Template = """
{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}
""";

    private const string Mistral03Template = """
{%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
""";
}
