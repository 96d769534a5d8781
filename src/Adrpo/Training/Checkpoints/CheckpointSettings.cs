namespace Adrpo.Training.Checkpoints;

/// <summary>Where and how often to checkpoint, and whether to resume from an existing file.</summary>
internal readonly record struct CheckpointSettings(string? Path, int Interval, bool Resume);
