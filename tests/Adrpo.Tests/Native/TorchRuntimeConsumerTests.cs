using Adrpo.Tests.Infrastructure;

namespace Adrpo.Tests.Native;

/// <summary>
/// PROCESS TEST (category <see cref="ChildProcess.Category"/>, about 15-40 s): an application that references Adrpo but
/// no TorchSharp runtime package. It is written into a temporary folder, references src/Adrpo/Adrpo.csproj (already built
/// with the test project; not rebuilt) and imports buildTransitive/Adrpo.targets as NuGet does for package users. The
/// build must warn ADRPO001 naming TorchSharp-cpu 0.107.0; the run must fail with Adrpo's InvalidOperationException
/// naming the package (src/Adrpo/Native/TorchRuntime.cs) instead of TorchSharp's loader error alone.
/// </summary>
[TestClass]
public sealed class TorchRuntimeConsumerTests
{
    private string _dir = null!;

    [TestInitialize]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("adrpo-no-runtime-").FullName;

    [TestCleanup]
    public void DeleteFolder()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [TestMethod]
    [TestCategory(ChildProcess.Category)]
    public void AnAppWithoutTheRuntimePackageIsWarnedAtBuildAndToldAtRunTime()
    {
        string root = RepoPaths.Root;
        File.WriteAllText(Path.Combine(_dir, "NoRuntime.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(root, "src", "Adrpo", "Adrpo.csproj")}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" Condition="'$(WithRuntime)' == 'true'" />
              </ItemGroup>
              <Import Project="{Path.Combine(root, "src", "Adrpo", "buildTransitive", "Adrpo.targets")}" />
            </Project>
            """);
        File.WriteAllText(Path.Combine(_dir, "Program.cs"), """
            using var model = Adrpo.Embedded.TinyLanguage.EmbeddedTinyLanguage.LoadModel();
            Console.WriteLine("loaded");
            """);

        string configuration = ChildProcess.Configuration;
        var build = ChildProcess.Run("dotnet", ["build", "-c", configuration, "-p:BuildProjectReferences=false", "-nologo"], _dir, TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, build.ExitCode, build.All);
        StringAssert.Contains(build.StandardOutput, "warning ADRPO001");
        StringAssert.Contains(build.StandardOutput, "<PackageReference Include=\"TorchSharp-cpu\" Version=\"0.107.0\" />");

        // An empty package cache for the run: TorchSharp's fallback would otherwise copy ~480 MB of LibTorch out of the
        // machine's cache into the app folder before failing on the same missing reference.
        string emptyCache = Directory.CreateDirectory(Path.Combine(_dir, "empty-nuget-cache")).FullName;
        string app = Path.Combine(_dir, "bin", configuration, "net10.0", "NoRuntime.dll");
        var run = ChildProcess.Run("dotnet", [app], _dir, TimeSpan.FromMinutes(1), new Dictionary<string, string?> { ["NUGET_PACKAGES"] = emptyCache });
        Assert.AreNotEqual(0, run.ExitCode, run.All);
        Assert.IsFalse(run.StandardOutput.Contains("loaded", StringComparison.Ordinal), run.All);
        StringAssert.Contains(run.StandardError, "System.InvalidOperationException: TorchSharp's native runtime (LibTorch) could not be loaded.");
        StringAssert.Contains(run.StandardError, "<PackageReference Include=\"TorchSharp-cpu\" Version=\"0.107.0\" />");
        StringAssert.Contains(run.StandardError, "TorchSharp-cuda-linux or TorchSharp-cuda-windows 0.107.0");
        StringAssert.Contains(run.StandardError, "---> System.TypeInitializationException", "TorchSharp's own error is kept as the inner exception");

        // The same app with the runtime referenced builds without the warning (the check sees the package).
        var withRuntime = ChildProcess.Run("dotnet", ["build", "-c", configuration, "-p:BuildProjectReferences=false", "-p:WithRuntime=true", "-nologo"], _dir, TimeSpan.FromMinutes(3));
        Assert.AreEqual(0, withRuntime.ExitCode, withRuntime.All);
        Assert.IsFalse(withRuntime.StandardOutput.Contains("ADRPO001", StringComparison.Ordinal), withRuntime.All);
    }
}
