using Adrpo.Models;
using Adrpo.Sampling;
using static TorchSharp.torch;

namespace Adrpo.Training.FlowMatching;

/// <summary>Draws samples from a conditional velocity model: seeded x0, the chosen ODE solver, optional guidance.</summary>
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
        var shape = new[] { conditions.shape[0] }.Concat(_model.SampleShape).ToArray();
        var x0 = randn(shape, generator: generator).to(conditions.device);
        var unconditional = zeros_like(conditions);
        Tensor Velocity(Tensor x, Tensor t) => _guidance == 1.0
            ? _model.Forward(x, t, conditions)
            : FlowOdeSampler.Guide(_model.Forward(x, t, conditions), _model.Forward(x, t, unconditional), _guidance);
        return FlowOdeSampler.Sample(Velocity, x0, _steps, _solver).MoveToOuterDisposeScope();
    }
}
