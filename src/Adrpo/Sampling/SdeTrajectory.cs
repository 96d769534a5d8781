using static TorchSharp.torch;

namespace Adrpo.Sampling;

/// <summary>
/// What <see cref="FlowSdeSampler"/> recorded (no autograd): every state, step mean, standard deviation and the
/// log-probability of each transition under the sampling policy, for Flow-GRPO's per-step ratio.
/// </summary>
internal sealed class SdeTrajectory : IDisposable
{
    internal SdeTrajectory(Tensor states, Tensor means, Tensor stds, Tensor logProbs, double stepSize)
    {
        States = states;
        Means = means;
        Stds = stds;
        LogProbs = logProbs;
        StepSize = stepSize;
    }

    /// <summary>[batch, steps + 1, ...] x at t = 0, h, ..., 1; step j goes from States[:, j] to States[:, j + 1].</summary>
    public Tensor States { get; }

    /// <summary>[batch, steps, ...] the mean of each step.</summary>
    public Tensor Means { get; }

    /// <summary>[steps] the standard deviation of each step (the same for every sample).</summary>
    public Tensor Stds { get; }

    /// <summary>[batch, steps] log-probability of each recorded transition (per-element mean, see <see cref="FlowSdeStep.LogProb"/>).</summary>
    public Tensor LogProbs { get; }

    /// <summary>h = 1 / steps.</summary>
    public double StepSize { get; }

    /// <summary>Number of SDE steps.</summary>
    public int Steps => (int)LogProbs.shape[1];

    /// <summary>[batch, ...] the final samples x1.</summary>
    public Tensor Final => States.select(1, States.shape[1] - 1);

    /// <summary>The start time t = j h of each step index in <paramref name="steps"/> ([batch], int64).</summary>
    public Tensor TimesOf(Tensor steps) => steps.to_type(States.dtype) * StepSize;

    /// <summary>For each sample i, its transition at step <c>steps[i]</c>: (x_t, next x, sampling log-prob, std).</summary>
    /// <param name="steps">[batch] int64 step indices, one per sample, on the trajectory's device.</param>
    public (Tensor X, Tensor Next, Tensor LogProb, Tensor Std) Transition(Tensor steps)
    {
        using var scope = NewDisposeScope();
        var rows = arange(States.shape[0], device: States.device);
        var x = States[rows, steps];
        var next = States[rows, steps + 1];
        var logProb = LogProbs[rows, steps];
        var std = Stds.index_select(0, steps);
        return (x.MoveToOuterDisposeScope(), next.MoveToOuterDisposeScope(), logProb.MoveToOuterDisposeScope(), std.MoveToOuterDisposeScope());
    }

    /// <summary>Keeps only the samples in <paramref name="rows"/> (e.g. those with a valid reward).</summary>
    public SdeTrajectory Select(Tensor rows) =>
        new(States.index_select(0, rows), Means.index_select(0, rows), Stds.clone(), LogProbs.index_select(0, rows), StepSize);

    /// <inheritdoc />
    public void Dispose()
    {
        States.Dispose();
        Means.Dispose();
        Stds.Dispose();
        LogProbs.Dispose();
    }
}
