namespace Adrpo.Reproduction.Results;

/// <summary>
/// One held-out evaluation of one run's policy, at iteration 0 (the pre-trained model) and every evaluation interval.
/// Metrics a task does not have are NaN (text-to-image has no entropy; the language model no diversity or W2).
/// </summary>
/// <param name="Task">Task name (see <see cref="Runs.RunSpec"/>).</param>
/// <param name="Method">Method name.</param>
/// <param name="Seed">Training seed.</param>
/// <param name="Iteration">Training iterations done (0 = the pre-trained model).</param>
/// <param name="Reward">Mean learned reward on the held-out prompts.</param>
/// <param name="Diversity">Text-to-image: mean pairwise L2 distance of ResNet-18 embeddings of one prompt's samples (ClipDiversity analogue).</param>
/// <param name="W2">Text-to-image: E|v - v_ref|^2 per element on held-out points (the paper's W2 bound), 0 for the pre-trained model.</param>
/// <param name="Entropy">Language model: mean token entropy (nats) of the policy on its own samples over the iterations since the last evaluation.</param>
/// <param name="Kl">Language model: mean k3 KL to the reference per token over the same iterations.</param>
/// <param name="TrainingReward">Mean reward of the training samples over the iterations since the last evaluation (NaN at 0).</param>
/// <param name="TrainingSeconds">Training wall time so far, evaluations excluded.</param>
internal sealed record EvaluationPoint(
    string Task,
    string Method,
    int Seed,
    int Iteration,
    double Reward,
    double Diversity,
    double W2,
    double Entropy,
    double Kl,
    double TrainingReward,
    double TrainingSeconds);
