using System.Globalization;

namespace Adrpo.Training.Evaluation;

/// <summary>
/// Watches for reward hacking: a policy that raises the training reward while the held-out reward falls, or that
/// drifts too far from the reference. Two rules, each a warning:
/// <list type="bullet">
/// <item>the held-out reward fell at two evaluations in a row while the training reward (its mean over the
/// iterations since the previous evaluation) rose;</item>
/// <item>an iteration's divergence to the reference (KL or W2) passed the bound.</item>
/// </list>
/// TRL, flow_grpo and verl leave this to the user; here it is one option (see
/// <see cref="FineTuningOptions{TMetrics}.StopOnRewardHacking"/>).
/// </summary>
internal sealed class RewardHackingGuard
{
    private readonly double _maxDivergence;
    private readonly string _divergenceName;
    private readonly List<(int Iteration, double HeldOut, double Training)> _evaluations = new();
    private readonly List<double> _trainingSinceLast = new();

    public RewardHackingGuard(double maxDivergence, string divergenceName)
    {
        _maxDivergence = maxDivergence;
        _divergenceName = divergenceName;
    }

    /// <summary>Records one training iteration; returns a warning when its divergence passed the bound, else null.</summary>
    public string? ObserveIteration(int iteration, double trainingReward, double divergence)
    {
        if (double.IsFinite(trainingReward))
        {
            _trainingSinceLast.Add(trainingReward);
        }

        return divergence > _maxDivergence
            ? string.Create(CultureInfo.InvariantCulture, $"Reward-hacking guard, iteration {iteration}: {_divergenceName} to the reference is {divergence:G4}, above MaxDivergence {_maxDivergence:G4}; the policy is drifting away from the reference. Raise Beta0, lower the learning rate, or stop here.")
            : null;
    }

    /// <summary>Records one held-out evaluation; returns a warning when the held-out reward fell twice in a row while the training reward rose.</summary>
    /// <param name="iteration">Iterations completed (0: before training).</param>
    /// <param name="heldOut">The held-out mean reward.</param>
    public string? ObserveEvaluation(int iteration, double heldOut)
    {
        double training = _trainingSinceLast.Count > 0 ? _trainingSinceLast.Average() : double.NaN;
        _trainingSinceLast.Clear();
        _evaluations.Add((iteration, heldOut, training));
        int k = _evaluations.Count - 1;
        if (k < 2)
        {
            return null;
        }

        var (now, before, first) = (_evaluations[k], _evaluations[k - 1], _evaluations[k - 2]);
        bool heldOutFellTwice = now.HeldOut < before.HeldOut && before.HeldOut < first.HeldOut;
        bool trainingRose = now.Training > before.Training;   // false when either is NaN (no training window)
        return heldOutFellTwice && trainingRose
            ? string.Create(CultureInfo.InvariantCulture, $"Reward-hacking guard, iteration {iteration}: the held-out reward fell at two evaluations in a row ({first.HeldOut:G4} at iteration {first.Iteration}, {before.HeldOut:G4} at {before.Iteration}, {now.HeldOut:G4} at {now.Iteration}) while the training reward rose ({before.Training:G4} -> {now.Training:G4}); the policy may be exploiting the reward. Check the samples, raise Beta0, or stop at the best evaluation (StopOnRewardHacking).")
            : null;
    }
}
