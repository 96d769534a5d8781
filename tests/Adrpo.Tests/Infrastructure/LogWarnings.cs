using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Adrpo.Tests.Infrastructure;

/// <summary>Collects the warnings an <see cref="MLContext"/>'s log receives (thread-safe; trainers log from their Fit thread).</summary>
internal static class LogWarnings
{
    /// <summary>Marks the adaptive coefficient's diagnostics, which tests about other warnings leave out.</summary>
    public const string CoefficientMarker = "beta_i";

    /// <summary>Starts collecting; the returned list fills as warnings arrive.</summary>
    /// <param name="context">The context whose log to watch.</param>
    /// <param name="includeCoefficientDiagnostics">False leaves out the inert-coefficient warnings (they mention beta_i).</param>
    public static List<string> Collect(MLContext context, bool includeCoefficientDiagnostics = true)
    {
        var warnings = new List<string>();
        context.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning && (includeCoefficientDiagnostics || !e.Message.Contains(CoefficientMarker, StringComparison.Ordinal)))
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };
        return warnings;
    }
}
