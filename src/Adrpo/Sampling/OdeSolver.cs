namespace Adrpo.Sampling;

/// <summary>Fixed-step solvers for the flow ODE dx/dt = v(x, t) from t = 0 (noise) to t = 1 (data).</summary>
public enum OdeSolver
{
    /// <summary>First order, one velocity evaluation per step.</summary>
    Euler,

    /// <summary>Heun's method (explicit trapezoid), second order, two evaluations per step.</summary>
    Heun,
}
