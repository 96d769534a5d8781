using System.Diagnostics;
using System.Text;

namespace Adrpo.Tests.Infrastructure;

/// <summary>Runs a child process (dotnet build, a sample program) with a time limit and collects its output.</summary>
internal static class ChildProcess
{
    /// <summary>Test category of the tests that start <c>dotnet</c> child processes (builds or sample runs).</summary>
    public const string Category = "Process";

    /// <summary>The exit code and the collected standard output and error.</summary>
    internal sealed record Result(int ExitCode, string StandardOutput, string StandardError)
    {
        /// <summary>Both streams, for assertion messages.</summary>
        public string All => StandardOutput + Environment.NewLine + StandardError;
    }

    /// <summary>Runs <paramref name="fileName"/>; kills it and fails when it runs past <paramref name="timeout"/>.</summary>
    /// <param name="fileName">The program, e.g. <c>dotnet</c>.</param>
    /// <param name="arguments">Its arguments, passed one by one (no shell quoting).</param>
    /// <param name="workingDirectory">Its working folder.</param>
    /// <param name="timeout">How long it may run.</param>
    /// <param name="environment">Variables to set (a null value removes the variable).</param>
    public static Result Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The test host may run under MSBuild-related variables (dotnet test); a child build must find its own SDK.
        foreach (string name in new[] { "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildExtensionsPath", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var output = new StringBuilder();
        var error = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"'{fileName} {string.Join(' ', arguments)}' ran longer than {timeout.TotalSeconds:F0} s and was stopped. Output so far:\n{output}\n{error}");
        }

        process.WaitForExit();
        return new Result(process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>The build configuration of the running test assembly (Release or Debug), read from its folder.</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
}
