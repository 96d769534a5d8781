namespace Adrpo.Reproduction.Runs;

/// <summary>
/// Evaluates a run every <c>interval</c> iterations and after the last one, from the trainer's own progress reports
/// (on the training thread, between iterations). Each evaluation is handed the iteration, the metrics reported since
/// the previous evaluation and the training time so far, which leaves the evaluations' own time out.
/// </summary>
/// <typeparam name="TMetrics">The trainer's per-iteration metrics.</typeparam>
internal sealed class EvaluationSchedule<TMetrics>(
    int interval,
    int iterations,
    Func<TMetrics, int> iterationOf,
    Func<TMetrics, double> secondsOf,
    Action<int, IReadOnlyList<TMetrics>, double> evaluate)
{
    private readonly List<TMetrics> _window = new();
    private double _trainingSeconds;

    /// <summary>The trainer's <c>Options.Progress</c>.</summary>
    public IProgress<TMetrics> Progress => new SynchronousProgress<TMetrics>(metrics =>
    {
        _window.Add(metrics);
        _trainingSeconds += secondsOf(metrics);
        int iteration = iterationOf(metrics);
        if (iteration % interval == 0 || iteration == iterations)
        {
            EvaluateNow(iteration);
        }
    });

    /// <summary>Evaluates at once, e.g. the pre-trained model at iteration 0.</summary>
    public void EvaluateNow(int iteration)
    {
        evaluate(iteration, _window, _trainingSeconds);
        _window.Clear();
    }
}
