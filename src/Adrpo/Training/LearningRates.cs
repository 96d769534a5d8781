namespace Adrpo.Training;

/// <summary>The learning rate of an iteration: linear warm-up, then the schedule.</summary>
internal static class LearningRates
{
    /// <param name="baseRate">Configured rate.</param>
    /// <param name="iteration">0-based iteration about to run.</param>
    /// <param name="iterations">Total iterations.</param>
    /// <param name="warmup">Warm-up iterations.</param>
    /// <param name="schedule">Decay after warm-up.</param>
    public static double At(double baseRate, int iteration, int iterations, int warmup, LearningRateSchedule schedule)
    {
        if (warmup > 0 && iteration < warmup)
        {
            return baseRate * (iteration + 1.0) / warmup;
        }

        double progress = iterations > warmup ? (iteration - warmup) / (double)(iterations - warmup) : 0;
        return schedule switch
        {
            LearningRateSchedule.Linear => baseRate * (1 - progress),
            LearningRateSchedule.Cosine => baseRate * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            _ => baseRate,
        };
    }
}
