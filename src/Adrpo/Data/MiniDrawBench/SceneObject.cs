namespace Adrpo.Data.MiniDrawBench;

/// <summary>One kind of object a prompt asks for: a shape in a colour.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="Color">The fill colour.</param>
internal sealed record SceneObject(ShapeKind Shape, ShapeColor Color);
