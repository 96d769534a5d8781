namespace Adrpo.Data.MiniDrawBench;

/// <summary>Where a spatial scene's first object lies relative to its second (image coordinates: y grows downwards).</summary>
internal enum SpatialRelation
{
    /// <summary>The first object's centre is at least 8 px to the left of the second's.</summary>
    LeftOf,

    /// <summary>The first object's centre is at least 8 px to the right of the second's.</summary>
    RightOf,

    /// <summary>The first object's centre is at least 8 px above the second's.</summary>
    Above,

    /// <summary>The first object's centre is at least 8 px below the second's.</summary>
    Below,
}
