namespace Adrpo.Tests.Infrastructure;

/// <summary>Reports on the calling thread (<see cref="Progress{T}"/> posts to a synchronization context instead).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
