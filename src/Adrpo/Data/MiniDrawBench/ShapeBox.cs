namespace Adrpo.Data.MiniDrawBench;

/// <summary>Where one object is drawn: the top-left pixel and side of its square box.</summary>
internal readonly record struct ShapeBox(SceneObject Item, int X, int Y, int Size)
{
    public double CentreX => X + (Size / 2.0);

    public double CentreY => Y + (Size / 2.0);

    /// <summary>Whether the two boxes are at least <paramref name="gap"/> empty pixels apart along x or y.</summary>
    public bool IsApart(ShapeBox other, int gap) =>
        X + Size + gap <= other.X || other.X + other.Size + gap <= X ||
        Y + Size + gap <= other.Y || other.Y + other.Size + gap <= Y;
}
