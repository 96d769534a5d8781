using Adrpo.Models;
using Adrpo.Sampling;
using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>Draws samples from a conditional velocity model: seeded x0, the chosen ODE solver (or Flow-GRPO's SDE), optional guidance.</summary>
internal sealed class FlowMatchingSampler
{
    private readonly IConditionalVelocityModel _model;
    private readonly OdeSolver _solver;
    private readonly int _steps;
    private readonly double _guidance;

    public FlowMatchingSampler(IConditionalVelocityModel model, OdeSolver solver, int steps, double guidance)
    {
        _model = model;
        _solver = solver;
        _steps = steps;
        _guidance = guidance;
    }

    /// <param name="conditions">[batch, D] condition vectors.</param>
    /// <param name="generator">Source of x0 ~ N(0, I).</param>
    /// <returns>[batch, ...SampleShape] samples, without autograd.</returns>
    public Tensor Sample(Tensor conditions, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x0 = randn(SampleShape(conditions), generator: generator).to(conditions.device);
        return FlowOdeSampler.Sample((x, t) => Velocity(x, t, conditions), x0, _steps, _solver).MoveToOuterDisposeScope();
    }

    /// <summary>The same policy sampled by Flow-GRPO's SDE (same steps and guidance), every step recorded.</summary>
    /// <param name="conditions">[batch, D] condition vectors.</param>
    /// <param name="noiseLevel">Flow-GRPO's a.</param>
    /// <param name="generator">Source of x0 and of each step's noise.</param>
    public SdeTrajectory SampleSde(Tensor conditions, double noiseLevel, Generator generator)
    {
        using var scope = NewDisposeScope();
        var x0 = randn(SampleShape(conditions), generator: generator).to(conditions.device);
        var trajectory = FlowSdeSampler.Sample((x, t) => Velocity(x, t, conditions), x0, _steps, noiseLevel, generator);
        trajectory.States.MoveToOuterDisposeScope();
        trajectory.Means.MoveToOuterDisposeScope();
        trajectory.Stds.MoveToOuterDisposeScope();
        trajectory.LogProbs.MoveToOuterDisposeScope();
        return trajectory;
    }

    /// <summary>
    /// The velocity the sampler integrates: with classifier-free guidance, <c>v(x, t, 0) + scale (v(x, t, c) - v(x, t, 0))</c>.
    /// Differentiable when autograd is on, so Flow-GRPO's log-probabilities use the same guided velocity as its sampling.
    /// </summary>
    public Tensor Velocity(Tensor x, Tensor t, Tensor conditions) => _guidance == 1.0
        ? _model.Forward(x, t, conditions)
        : FlowOdeSampler.Guide(_model.Forward(x, t, conditions), _model.Forward(x, t, zeros_like(conditions)), _guidance);

    /// <summary>The number of ODE / SDE steps.</summary>
    public int Steps => _steps;

    private long[] SampleShape(Tensor conditions) => new[] { conditions.shape[0] }.Concat(_model.SampleShape).ToArray();
}
