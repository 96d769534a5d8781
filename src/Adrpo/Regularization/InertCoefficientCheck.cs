using System.Globalization;

namespace Adrpo.Regularization;

/// <summary>
/// Tells the user when ADRPO's adaptive coefficient beta_i = beta0 - clip(A_i, Amin, Amax) (eq. 4) is inert, which
/// happens silently when the advantages' scale does not match the clip range:
/// <list type="bullet">
/// <item>nearly every clipped advantage at 0 (advantages far inside the clip range): beta_i is beta0 for every sample,
/// so ADRPO is a fixed-beta method;</item>
/// <item>nearly every clipped advantage at a clip bound (advantages far outside it): beta_i takes only its two extreme
/// values and follows the advantage's sign, not its size.</item>
/// </list>
/// It warns the first iteration this holds and then at most every <see cref="RepeatEvery"/> iterations while it lasts.
/// </summary>
internal sealed class InertCoefficientCheck
{
    /// <summary>"Nearly every": this share of the samples.</summary>
    public const double Share = 0.9;

    /// <summary>Iterations between repeated warnings while the coefficient stays inert.</summary>
    public const int RepeatEvery = 10;

    /// <summary>An advantage within this fraction of the clip range's larger half-width of 0 counts as 0.</summary>
    public const double ZeroTolerance = 0.05;

    private readonly double _min;
    private readonly double _max;
    private int _lastWarned = int.MinValue / 2;

    public InertCoefficientCheck(double minAdvantage, double maxAdvantage)
    {
        _min = minAdvantage;
        _max = maxAdvantage;
    }

    /// <summary>Returns the warning for this iteration, or null.</summary>
    /// <param name="iteration">1-based iteration, for the message and the repeat interval.</param>
    /// <param name="advantages">The iteration's advantages before clipping (valid samples only).</param>
    public string? Check(int iteration, IReadOnlyList<float> advantages)
    {
        string? problem = Diagnose(advantages);
        if (problem is null || iteration - _lastWarned < RepeatEvery)
        {
            return null;
        }

        _lastWarned = iteration;
        return string.Create(CultureInfo.InvariantCulture, $"Iteration {iteration}: {problem} (This warning repeats at most every {RepeatEvery} iterations while it holds.)");
    }

    /// <summary>The inert state of one batch of advantages, described, or null when beta_i varies with them.</summary>
    internal string? Diagnose(IReadOnlyList<float> advantages)
    {
        int n = advantages.Count;
        double halfWidth = Math.Max(-_min, _max);
        if (n < 2 || !(halfWidth > 0))
        {
            return null;   // one sample, or a zero clip range (then beta_i = beta0 by the user's choice)
        }

        double mean = advantages.Average(a => (double)a);
        double std = Math.Sqrt(advantages.Sum(a => (a - mean) * (a - mean)) / (n - 1));
        int atBound = advantages.Count(a => a <= _min || a >= _max);
        int atZero = advantages.Count(a => Math.Abs(a) <= ZeroTolerance * halfWidth);
        var invariant = CultureInfo.InvariantCulture;
        if (atZero >= Share * n)
        {
            return string.Format(invariant, "{0:P0} of the advantages are within {1:P0} of the clip range [{2:G3}, {3:G3}] of 0 (their standard deviation is {4:G3}), so beta_i = beta0 - clip(A_i) stays at beta0 for nearly every sample and the adaptive coefficient does nothing. Scale the advantages (AdvantageScaling = Group or Batch) or narrow MinAdvantage/MaxAdvantage to the rewards' spread.", atZero / (double)n, ZeroTolerance, _min, _max, std);
        }

        if (atBound >= Share * n)
        {
            return string.Format(invariant, "{0:P0} of the advantages lie at or beyond a clip bound ({1:G3} or {2:G3}; their standard deviation is {3:G3}), so beta_i takes only its two extreme values and follows the sign of the advantage, not its size. Widen MinAdvantage/MaxAdvantage towards the advantages' spread, or use AdvantageScaling = None to keep them in reward units.", atBound / (double)n, _min, _max, std);
        }

        return null;
    }
}
