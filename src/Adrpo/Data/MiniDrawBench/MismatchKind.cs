namespace Adrpo.Data.MiniDrawBench;

/// <summary>The one-attribute edits that turn a prompt's scene into a scene that violates it (<see cref="MiniDrawBench.MismatchScene(Scene, MismatchKind, Random)"/>).</summary>
internal enum MismatchKind
{
    /// <summary>One object takes a colour that no object of the prompt has.</summary>
    WrongColor,

    /// <summary>One object takes a shape that no object of the prompt has.</summary>
    WrongShape,

    /// <summary>Two-object scenes: the two objects swap colours ("a blue circle and a red square").</summary>
    SwappedColors,

    /// <summary>Counting scenes: another count of 1-4. Two-object scenes: one of the objects is missing.</summary>
    WrongCount,

    /// <summary>Spatial scenes: the objects swap sides (the opposite relation).</summary>
    SwappedSides,
}
