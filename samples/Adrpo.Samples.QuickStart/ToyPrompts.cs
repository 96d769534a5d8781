using static TorchSharp.torch;

namespace Adrpo.Samples.QuickStart;

/// <summary>
/// The embedded task: four "prompts", each with a two-mode data distribution (the pre-training data), and a
/// reward that prefers one of the two modes, so the pre-trained model has clear reward headroom.
/// </summary>
internal static class ToyPrompts
{
    public const int Count = 4;
    private const double Spread = 0.25;

    /// <summary>Mode k of prompt c: two opposite points on a circle of radius 2, rotated per prompt.</summary>
    public static (double X, double Y) Mode(int prompt, int k)
    {
        double angle = (prompt * Math.PI / Count) + (k * Math.PI);
        return (2 * Math.Cos(angle), 2 * Math.Sin(angle));
    }

    /// <summary>Pre-training data: [n, 2] points, half from each mode of each prompt.</summary>
    public static Tensor Data(Tensor prompts, Generator generator)
    {
        using var scope = NewDisposeScope();
        long n = prompts.shape[0];
        var which = randint(0, 2, new long[] { n }, generator: generator);
        var centres = zeros(n, 2);
        long[] p = prompts.data<long>().ToArray(), w = which.data<long>().ToArray();
        for (int i = 0; i < n; i++)
        {
            var (x, y) = Mode((int)p[i], (int)w[i]);
            centres[i, 0] = x;
            centres[i, 1] = y;
        }

        return (centres + (randn(new long[] { n, 2 }, generator: generator) * Spread)).MoveToOuterDisposeScope();
    }

    /// <summary>Reward in (0, 1]: closeness to mode 0 of the sample's prompt, exp(-|x - m0|^2).</summary>
    public static Tensor Reward(Tensor points, Tensor prompts)
    {
        using var scope = NewDisposeScope();
        long[] p = prompts.data<long>().ToArray();
        var targets = zeros(p.Length, 2);
        for (int i = 0; i < p.Length; i++)
        {
            var (x, y) = Mode((int)p[i], 0);
            targets[i, 0] = x;
            targets[i, 1] = y;
        }

        return (points - targets).square().sum(1).neg().exp().MoveToOuterDisposeScope();
    }

    /// <summary>Mean pairwise distance between samples of the same prompt, averaged over prompts.</summary>
    public static double Diversity(Tensor points, int perPrompt)
    {
        using var scope = NewDisposeScope();
        var grouped = points.reshape(-1, perPrompt, 2);
        var d = cdist(grouped, grouped);
        return (d.sum(new long[] { 1, 2 }) / (perPrompt * (perPrompt - 1))).mean().item<float>();
    }
}
