using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adrpo.Tests.Infrastructure;

/// <summary>A metrics record as JSON with every value (NaN included) written exactly, for whole-record comparisons
/// (record equality compares nested dictionaries by reference).</summary>
internal static class MetricsJson
{
    private static readonly JsonSerializerOptions Options = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static string Of<T>(T metrics) => JsonSerializer.Serialize(metrics, Options);
}
