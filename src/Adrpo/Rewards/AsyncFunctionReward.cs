using System.Globalization;

namespace Adrpo.Rewards;

/// <summary>
/// A reward computed by an asynchronous function, typically a remote judge: batches of
/// <see cref="AsyncRewardOptions.BatchSize"/> samples, at most <see cref="AsyncRewardOptions.MaxConcurrency"/> calls in
/// flight, each attempt bounded by <see cref="AsyncRewardOptions.Timeout"/> and retried up to
/// <see cref="AsyncRewardOptions.MaxRetries"/> times. The trainer's scoring step waits for all of them.
/// </summary>
internal sealed class AsyncFunctionReward : FunctionReward
{
    private readonly Func<IReadOnlyList<RewardSample>, CancellationToken, Task<float?[]>> _score;

    public AsyncFunctionReward(Func<IReadOnlyList<RewardSample>, CancellationToken, Task<float?[]>> score, AsyncRewardOptions options, IEnumerable<string>? columns)
        : base(columns)
    {
        _score = score;
        Options = options;
    }

    public AsyncRewardOptions Options { get; }

    public override float?[] Score(IReadOnlyList<RewardSample> samples, string describe) =>
        // Task.Run: no caller's synchronization context is captured, so blocking here cannot deadlock.
        Task.Run(() => ScoreAsync(samples, describe)).GetAwaiter().GetResult();

    private async Task<float?[]> ScoreAsync(IReadOnlyList<RewardSample> samples, string describe)
    {
        var scores = new float?[samples.Count];
        using var gate = new SemaphoreSlim(Options.MaxConcurrency);
        using var failed = new CancellationTokenSource();   // one batch failing for good stops the others
        var calls = new List<Task>();
        for (int start = 0; start < samples.Count; start += Options.BatchSize)
        {
            int from = start, count = Math.Min(Options.BatchSize, samples.Count - start);
            calls.Add(ScoreChunkAsync(samples, from, count, scores, gate, failed, describe));
        }

        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
        }
        catch (Exception) when (calls.FirstOrDefault(c => c.IsFaulted && c.Exception!.InnerException is not OperationCanceledException) is { } first)
        {
            // WhenAll rethrows one exception; report the first batch that failed for good, not a cancelled sibling.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first.Exception!.InnerException!).Throw();
        }

        return scores;
    }

    private async Task ScoreChunkAsync(IReadOnlyList<RewardSample> samples, int from, int count, float?[] scores, SemaphoreSlim gate, CancellationTokenSource failed, string describe)
    {
        var chunk = new RewardSample[count];
        for (int i = 0; i < count; i++)
        {
            chunk[i] = samples[from + i];
        }

        await gate.WaitAsync(failed.Token).ConfigureAwait(false);
        try
        {
            var errors = new List<string>();
            for (int attempt = 1; attempt <= Options.MaxRetries + 1; attempt++)
            {
                failed.Token.ThrowIfCancellationRequested();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(failed.Token);
                timeout.CancelAfter(Options.Timeout);
                float?[] result;
                try
                {
                    // WaitAsync: an attempt that ignores its token still ends at the timeout.
                    result = await _score(chunk, timeout.Token).WaitAsync(Options.Timeout, failed.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!failed.IsCancellationRequested && (ex is TimeoutException || (ex is OperationCanceledException && timeout.IsCancellationRequested)))
                {
                    errors.Add(string.Create(CultureInfo.InvariantCulture, $"attempt {attempt}: timed out after {Seconds(Options.Timeout)} s"));
                    await DelayBeforeRetry(attempt, failed.Token).ConfigureAwait(false);
                    continue;
                }
                catch (Exception ex) when (!failed.IsCancellationRequested && ex is not OutOfMemoryException)
                {
                    var cause = ex.GetBaseException();
                    errors.Add($"attempt {attempt}: {cause.GetType().Name}: {cause.Message}");
                    await DelayBeforeRetry(attempt, failed.Token).ConfigureAwait(false);
                    continue;
                }

                if (result is null || result.Length != count)
                {
                    // A wrong length is a bug in the function, not a passing fault: no retry.
                    failed.Cancel();
                    throw new InvalidOperationException(
                        $"{describe} returned {(result is null ? "null" : result.Length.ToString(CultureInfo.InvariantCulture))} scores for a batch of {count} samples ({Range(from, count, samples.Count)}); " +
                        "an async reward function must return one score (or null) per sample, in order.");
                }

                Array.Copy(result, 0, scores, from, count);
                return;
            }

            failed.Cancel();
            throw new InvalidOperationException(
                $"{describe} failed for {Range(from, count, samples.Count)} after {(Options.MaxRetries + 1).ToString(CultureInfo.InvariantCulture)} attempts " +
                $"(AsyncRewardOptions: Timeout {Seconds(Options.Timeout)} s, MaxRetries {Options.MaxRetries.ToString(CultureInfo.InvariantCulture)}): {string.Join("; ", errors)}. " +
                "Check that the judge is reachable and answers within the timeout, or raise Timeout / MaxRetries.");
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task DelayBeforeRetry(int attempt, CancellationToken cancellation)
    {
        if (attempt <= Options.MaxRetries && Options.RetryDelay > TimeSpan.Zero)
        {
            // Exponential backoff: RetryDelay, 2 x RetryDelay, 4 x ...
            var delay = TimeSpan.FromTicks(Options.RetryDelay.Ticks * (1L << Math.Min(attempt - 1, 16)));
            await Task.Delay(delay, cancellation).ConfigureAwait(false);
        }
    }

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Range(int from, int count, int total) =>
        string.Create(CultureInfo.InvariantCulture, $"samples {from}-{from + count - 1} of {total}");
}
