// Two trainers' Fit calls on two threads that take turns, one iteration each (A B A B ...): the one that leads runs
// its set-up and first iteration, then the other runs its set-up and first iteration, and so on, so no two iterations
// ever overlap.
using TorchSharp;

namespace Adrpo.Benchmarks;

internal sealed class Turns
{
    private readonly SemaphoreSlim _leadGo = new(0);
    private readonly SemaphoreSlim _followGo = new(0);
    private volatile bool _failed;

    public Turns(int iterations, int warmUp)
    {
        Lead = new Side(this, lead: true, iterations, warmUp);
        Follow = new Side(this, lead: false, iterations, warmUp);
    }

    public Side Lead { get; }

    public Side Follow { get; }

    /// <summary>Runs <paramref name="lead"/> (which must report through <see cref="Lead"/>) and
    /// <paramref name="follow"/> (through <see cref="Follow"/>) to the end.</summary>
    public void Run(Action lead, Action follow)
    {
        int threads = torch.get_num_threads();
        Exception? error = null;
        void Guard(Action fit)
        {
            torch.set_num_threads(threads);
            try
            {
                fit();
            }
            catch (Exception e)
            {
                error ??= e;
                _failed = true;
                _leadGo.Release();
                _followGo.Release();
            }
        }

        var first = new Thread(() => Guard(lead));
        var second = new Thread(() =>
        {
            _followGo.Wait();
            Guard(follow);
        });
        first.Start();
        second.Start();
        first.Join();
        second.Join();
        if (error is not null)
        {
            throw new InvalidOperationException("a trainer failed", error);
        }
    }

    /// <summary>One trainer's side: call <see cref="Done"/> from its synchronous Progress callback.</summary>
    internal sealed class Side(Turns turns, bool lead, int iterations, int warmUp)
    {
        public int Iterations => iterations;

        public List<double> Seconds { get; } = new();

        public List<double> Lengths { get; } = new();

        public void Done(int iteration, double seconds, double? length)
        {
            if (iteration > warmUp)
            {
                Seconds.Add(seconds);
                if (length is double l)
                {
                    Lengths.Add(l);
                }
            }

            (lead ? turns._followGo : turns._leadGo).Release();
            if (iteration < iterations && !turns._failed)
            {
                (lead ? turns._leadGo : turns._followGo).Wait();
            }
        }
    }
}
