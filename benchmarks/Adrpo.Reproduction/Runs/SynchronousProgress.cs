namespace Adrpo.Reproduction.Runs;

/// <summary>
/// Reports on the trainer's own thread, between iterations: evaluations run there, on the weights being trained,
/// without racing the next update (<see cref="Progress{T}"/> would post to the thread pool instead).
/// </summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
