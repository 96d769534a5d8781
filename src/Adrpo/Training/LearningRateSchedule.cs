namespace Adrpo.Training;

/// <summary>Learning-rate schedule after the linear warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant at the configured rate.</summary>
    Constant,

    /// <summary>Linear decay to zero at the last iteration.</summary>
    Linear,

    /// <summary>Cosine decay to zero at the last iteration.</summary>
    Cosine,
}
