using Adrpo.Reproduction.Runs;

namespace Adrpo.Reproduction.Results;

/// <summary>The evaluation points of a study, indexed the ways the report and charts read them.</summary>
internal sealed class StudyData(IReadOnlyList<EvaluationPoint> points)
{
    public IReadOnlyList<EvaluationPoint> Points { get; } = points;

    /// <summary>Methods of a task present in the data, in the order of <paramref name="canonical"/>.</summary>
    public IReadOnlyList<string> Methods(string task, IEnumerable<string> canonical) =>
        canonical.Where(m => Points.Any(p => p.Task == task && p.Method == m)).ToList();

    /// <summary>Each seed's last evaluation of a method (its final policy).</summary>
    public IReadOnlyDictionary<int, EvaluationPoint> Final(string task, string method) =>
        Points.Where(p => p.Task == task && p.Method == method)
            .GroupBy(p => p.Seed)
            .ToDictionary(g => g.Key, g => g.MaxBy(p => p.Iteration)!);

    /// <summary>Each seed's evaluation of the pre-trained model (iteration 0), which every method of the seed shares.</summary>
    public IReadOnlyDictionary<int, EvaluationPoint> PreTrained(string task) =>
        Points.Where(p => p.Task == task && p.Method == RunSpec.PreTrained)
            .GroupBy(p => p.Seed)
            .ToDictionary(g => g.Key, g => g.First());

    /// <summary>A method's evaluations, starting with the pre-trained model's (iteration 0) of the same seeds.</summary>
    public IEnumerable<EvaluationPoint> Run(string task, string method)
    {
        var own = Points.Where(p => p.Task == task && p.Method == method).ToList();
        var seeds = own.Select(p => p.Seed).ToHashSet();
        return PreTrained(task).Values.Where(p => seeds.Contains(p.Seed)).Concat(own);
    }

    /// <summary>Per evaluation iteration, the mean over seeds of a metric of one method.</summary>
    public IReadOnlyList<(int Iteration, double Mean)> Trajectory(string task, string method, Func<EvaluationPoint, double> metric) =>
        TrajectoryWithError(task, method, metric).Select(x => (x.Iteration, x.Value.Mean)).ToList();

    /// <summary>Per evaluation iteration, the mean and standard error over seeds of a metric of one method.</summary>
    public IReadOnlyList<(int Iteration, MeanWithError Value)> TrajectoryWithError(string task, string method, Func<EvaluationPoint, double> metric) =>
        Run(task, method)
            .GroupBy(p => p.Iteration)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, MeanWithError.Of(g.Select(metric))))
            .ToList();

    public static IReadOnlyDictionary<int, double> Select(IReadOnlyDictionary<int, EvaluationPoint> bySeed, Func<EvaluationPoint, double> metric) =>
        bySeed.ToDictionary(kv => kv.Key, kv => metric(kv.Value));
}
