using Adrpo.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Samples.QuickStart;

/// <summary>
/// A small conditional velocity field v(x_t, t, c) for 2-D points: an MLP over [x_t, t, one-hot(c)].
/// </summary>
internal sealed class VelocityMlp : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Linear fc3;
    private readonly int _prompts;

    public VelocityMlp(int prompts, int hidden, Generator generator) : base(nameof(VelocityMlp))
    {
        _prompts = prompts;
        fc1 = nn.Linear(2 + 1 + prompts, hidden);
        fc2 = nn.Linear(hidden, hidden);
        fc3 = nn.Linear(hidden, 2);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var p in parameters())
        {
            // Seeded init from our own generator (the global RNG is never reset).
            double bound = 1 / Math.Sqrt(p.dim() == 2 ? p.shape[1] : hidden);
            p.copy_((rand(p.shape, generator: generator) * 2 - 1) * bound);
        }
    }

    /// <param name="x">[batch, 2] points x_t.</param>
    /// <param name="t">[batch] times in [0, 1].</param>
    /// <param name="prompt">[batch] int64 prompt ids.</param>
    /// <returns>[batch, 2] velocities.</returns>
    public override Tensor forward(Tensor x, Tensor t, Tensor prompt)
    {
        using var scope = NewDisposeScope();
        var input = cat(new[] { x, t.unsqueeze(1), nn.functional.one_hot(prompt, _prompts).to_type(x.dtype) }, 1);
        var h = nn.functional.silu(fc1.forward(input));
        h = nn.functional.silu(fc2.forward(h));
        return fc3.forward(h).MoveToOuterDisposeScope();
    }

    /// <summary>Euler ODE from x0 ~ N(0, I) at t = 0 to x1 at t = 1, without autograd.</summary>
    public Tensor Sample(Tensor prompt, int steps, Generator generator)
    {
        using var x0 = randn(new long[] { prompt.shape[0], 2 }, generator: generator);
        return FlowOdeSampler.Sample((x, t) => forward(x, t, prompt), x0, steps, OdeSolver.Euler);
    }
}
