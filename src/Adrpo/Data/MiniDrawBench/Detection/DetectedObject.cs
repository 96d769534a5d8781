namespace Adrpo.Data.MiniDrawBench.Detection;

/// <summary>One object read from an image: a foreground component large enough not to be noise.</summary>
/// <param name="Color">Its palette colour; null when its mean colour is no palette colour or its pixels disagree (a merged or smeared object).</param>
/// <param name="Shape">Its shape; null when no shape's template fits it well and clearly (<see cref="ShapeMatcher"/>).</param>
/// <param name="Area">Pixels in the component.</param>
/// <param name="Left">Bounding box: leftmost column.</param>
/// <param name="Top">Bounding box: top row.</param>
/// <param name="Width">Bounding box: width in pixels.</param>
/// <param name="Height">Bounding box: height in pixels.</param>
/// <param name="ShapeScores">The best template IoU of each shape, indexed by <see cref="ShapeKind"/>.</param>
/// <param name="ColorAngle">Degrees between the mean colour and the nearest palette colour.</param>
/// <param name="ColorPurity">Share of the pixels whose own colour lies near the nearest palette colour (<see cref="SceneDetector.MinColorPurity"/>).</param>
internal sealed record DetectedObject(
    ShapeColor? Color, ShapeKind? Shape, int Area, int Left, int Top, int Width, int Height, IReadOnlyList<double> ShapeScores, double ColorAngle, double ColorPurity)
{
    /// <summary>Horizontal centre of the bounding box, in pixels from the image's left edge.</summary>
    public double CentreX => Left + (Width / 2.0);

    /// <summary>Vertical centre of the bounding box, in pixels from the image's top edge (y grows downwards).</summary>
    public double CentreY => Top + (Height / 2.0);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Color?.ToString() ?? "no colour"} {Shape?.ToString() ?? "no shape"} at ({CentreX:F1}, {CentreY:F1}), {Area} px, IoU {string.Join("/", ShapeScores.Select(s => s.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}, {ColorAngle:F0} deg, purity {ColorPurity:F2}";
}
