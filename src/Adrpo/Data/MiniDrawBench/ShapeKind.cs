namespace Adrpo.Data.MiniDrawBench;

/// <summary>The shapes of the miniature DrawBench. Each is drawn upright so the four stay distinguishable at 32x32.</summary>
internal enum ShapeKind
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>A filled axis-aligned square.</summary>
    Square,

    /// <summary>A filled isosceles triangle, apex up.</summary>
    Triangle,

    /// <summary>A filled five-pointed star, one point up.</summary>
    Star,
}
