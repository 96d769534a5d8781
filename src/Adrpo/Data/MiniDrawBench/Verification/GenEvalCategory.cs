namespace Adrpo.Data.MiniDrawBench.Verification;

/// <summary>
/// GenEval's six task categories (Ghosh et al., 2023), mapped onto MiniDrawBench's prompts. MiniDrawBench names a
/// colour in every prompt, so the two categories whose GenEval prompts name none are scored on prompts that do, with
/// the colour requirements left out; no prompt was added and the prompt set and its splits are unchanged.
/// </summary>
internal enum GenEvalCategory
{
    /// <summary>GenEval "single_object": count-1 counting prompts ("one red circle"); passes with exactly one object, of the named shape, any colour.</summary>
    SingleObject,

    /// <summary>GenEval "two_object": colour-binding prompts; passes with exactly two objects, one of each named shape, any colours.</summary>
    TwoObjects,

    /// <summary>GenEval "counting": counting prompts for 2 to 4 copies; passes when everything the prompt asks holds (GenEval's own counting prompts name no colour).</summary>
    Counting,

    /// <summary>GenEval "colors": count-1 counting prompts; passes with exactly one object, of the named shape and colour.</summary>
    Colors,

    /// <summary>GenEval "position": spatial prompts; passes when everything holds, colours included (GenEval's own position prompts name no colour).</summary>
    Position,

    /// <summary>GenEval "color_attr": colour-binding prompts; passes when each named shape has its own named colour, nothing else drawn.</summary>
    ColorAttribution,
}
