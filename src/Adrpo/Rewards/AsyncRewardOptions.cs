namespace Adrpo.Rewards;

/// <summary>
/// How <see cref="RewardModel.FromAsyncFunction"/> calls a remote judge: samples are sent in batches of
/// <see cref="BatchSize"/>, at most <see cref="MaxConcurrency"/> calls at a time; a call that fails or takes longer than
/// <see cref="Timeout"/> is retried up to <see cref="MaxRetries"/> times, waiting <see cref="RetryDelay"/> (doubled
/// after each failure) in between; when every attempt fails, scoring throws, naming the reward and each attempt's error.
/// </summary>
public sealed class AsyncRewardOptions
{
    /// <summary>Samples per call of the function; 8 by default.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Most calls in flight at once; 4 by default.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Time one attempt may take; its cancellation token is cancelled then, and the attempt counts as failed
    /// even if the function ignores the token. 60 s by default.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Attempts after the first one for a batch that fails or times out; 2 by default (3 attempts).</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Wait before the first retry, doubled before each further one; 0.5 s by default.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Throws when an option is out of range, naming it.</summary>
    internal AsyncRewardOptions Validated()
    {
        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "AsyncRewardOptions.BatchSize (samples per call) must be at least 1.");
        }

        if (MaxConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrency), MaxConcurrency, "AsyncRewardOptions.MaxConcurrency (calls in flight) must be at least 1.");
        }

        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "AsyncRewardOptions.Timeout must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetries), MaxRetries, "AsyncRewardOptions.MaxRetries must be 0 or more.");
        }

        if (RetryDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "AsyncRewardOptions.RetryDelay must be 0 or more.");
        }

        // A copy, so changing the options object later does not change a reward already built.
        return new AsyncRewardOptions { BatchSize = BatchSize, MaxConcurrency = MaxConcurrency, Timeout = Timeout, MaxRetries = MaxRetries, RetryDelay = RetryDelay };
    }
}
