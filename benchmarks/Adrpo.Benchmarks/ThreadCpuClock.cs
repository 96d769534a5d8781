// The calling thread's CPU time. On a shared machine a step's wall time also counts the time other jobs held the core
// (the load here is often 5-7 on 2 cores); a one-thread libtorch step runs its ops and its backward on the calling
// thread, so this clock leaves the waiting out. Python's side reads time.thread_time().
using System.Runtime.InteropServices;

namespace Adrpo.Benchmarks;

internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;   // CLOCK_THREAD_CPUTIME_ID (Linux)

    /// <summary>Milliseconds of CPU time used by the calling thread so far; NaN where the clock is not available.</summary>
    public static double Milliseconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        return clock_gettime(ClockThreadCpuTimeId, out var t) == 0 ? (t.Seconds * 1e3) + (t.Nanoseconds / 1e6) : double.NaN;
    }

    [DllImport("libc")]
    private static extern int clock_gettime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
