namespace Adrpo.Data.MiniDrawBench;

/// <summary>
/// The colours of the miniature DrawBench; each has one fixed RGB value (<see cref="ShapeColorExtensions.Rgb"/>).
/// </summary>
internal enum ShapeColor
{
    /// <summary>RGB (230, 40, 40).</summary>
    Red,

    /// <summary>RGB (40, 200, 60).</summary>
    Green,

    /// <summary>RGB (50, 90, 240).</summary>
    Blue,

    /// <summary>RGB (240, 220, 40).</summary>
    Yellow,

    /// <summary>RGB (160, 60, 220).</summary>
    Purple,

    /// <summary>RGB (240, 240, 240).</summary>
    White,
}
