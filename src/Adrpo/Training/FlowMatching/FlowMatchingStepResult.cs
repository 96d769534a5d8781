namespace Adrpo.Training.FlowMatching;

/// <summary>Scalars of one gradient step (loss parts and the W2 estimate on the step's points).</summary>
internal readonly record struct FlowMatchingStepResult(double Loss, double Matching, double Regularization, double W2);
