using Microsoft.ML.Data;

namespace Adrpo.Rewards;

/// <summary>How a reward model's input problem was established; decides how sure the message may sound.</summary>
internal enum RewardInputEvidence
{
    /// <summary>The transformer declares the column and its type (a prediction transformer's feature column, a
    /// CustomMapping's input class), and giving it that type makes the transformer accept the schema.</summary>
    Declared,

    /// <summary>The transformer declares nothing; retyping one provided column to <see cref="RewardInputProblem.Expected"/>
    /// made it accept the schema. It may accept other types too.</summary>
    Trial,
}

/// <summary>
/// The input column a reward transformer cannot read from the scorer's schema: missing (<see cref="Provided"/> null)
/// or of another type. Found from schema information only (see <see cref="RewardInputDiagnosis"/>).
/// </summary>
/// <param name="Column">The column's name.</param>
/// <param name="Expected">A type the transformer reads it as.</param>
/// <param name="ExpectedDescription">How to show <paramref name="Expected"/>: its ML.NET name, plus the CLR member
/// it binds to where there is one.</param>
/// <param name="Provided">The column's type in the schema the transformer (or its failing stage) was given; null when
/// the column is missing.</param>
/// <param name="Evidence">How the problem was found.</param>
/// <param name="Stage">The failing stage's index when the transformer is a chain of several; else null.</param>
/// <param name="StageType">The failing stage's type name when <paramref name="Stage"/> is set.</param>
internal sealed record RewardInputProblem(
    string Column,
    DataViewType Expected,
    string ExpectedDescription,
    DataViewType? Provided,
    RewardInputEvidence Evidence,
    int? Stage = null,
    string? StageType = null);
