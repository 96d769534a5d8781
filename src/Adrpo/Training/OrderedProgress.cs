namespace Adrpo.Training;

/// <summary>
/// Forwards a trainer's per-iteration reports to the user's <see cref="IProgress{T}"/> so that they arrive in order
/// and before Fit returns. <see cref="Progress{T}"/> posts every report to its synchronization context (the thread
/// pool when it has none), so two reports can run at once or after Fit has returned; here, after each report, the
/// training thread waits until the report has been handled.
/// </summary>
/// <remarks>
/// How the wait knows: a handler subscribed to <see cref="Progress{T}.ProgressChanged"/> for the duration of Fit.
/// <c>Progress&lt;T&gt;</c> runs the constructor's handler first and then raises the event, so when the event fires
/// the user's handler has finished. The wait only happens when the training thread has no custom
/// <see cref="SynchronizationContext"/> (null or exactly the base class): on a UI thread the report is posted back to
/// that same thread, which is busy in Fit, so waiting would deadlock; there reports arrive as the UI thread gets to
/// them. Other <see cref="IProgress{T}"/> implementations are called directly on the training thread, which is
/// already in order. A handler that takes longer than the timeout (default 30 s) gets a warning and no more waiting.
/// </remarks>
internal sealed class OrderedProgress<T> : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly IProgress<T>? _target;
    private readonly Progress<T>? _awaited;
    private readonly SemaphoreSlim _handled = new(0);
    private readonly Action<string> _warn;
    private readonly TimeSpan _timeout;
    private bool _gaveUp;

    /// <param name="target">The user's progress sink, or null (reports are dropped).</param>
    /// <param name="warn">Receives the warning when a report was not handled within <paramref name="timeout"/>.</param>
    /// <param name="timeout">How long one report is waited for; default 30 s.</param>
    public OrderedProgress(IProgress<T>? target, Action<string> warn, TimeSpan? timeout = null)
    {
        _target = target;
        _warn = warn;
        _timeout = timeout ?? DefaultTimeout;
        var context = SynchronizationContext.Current;
        if (target is Progress<T> progress && (context is null || context.GetType() == typeof(SynchronizationContext)))
        {
            _awaited = progress;
            _awaited.ProgressChanged += OnHandled;
        }
    }

    /// <summary>True when each report is waited for (a <see cref="Progress{T}"/> on a thread without a custom context).</summary>
    public bool WaitsForDelivery => _awaited is not null;

    /// <summary>Reports <paramref name="value"/> and, when <see cref="WaitsForDelivery"/>, waits until it has been handled.</summary>
    public void Report(T value)
    {
        if (_target is null)
        {
            return;
        }

        _target.Report(value);
        if (_awaited is null || _gaveUp)
        {
            return;
        }

        if (!_handled.Wait(_timeout))
        {
            _gaveUp = true;
            _warn($"Options.Progress's handler did not finish a report within {_timeout.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s; later reports are not waited for and may arrive out of order or after Fit returns.");
        }
    }

    /// <summary>Unsubscribes from the progress object.</summary>
    public void Dispose()
    {
        if (_awaited is not null)
        {
            _awaited.ProgressChanged -= OnHandled;
        }
    }

    private void OnHandled(object? sender, T value) => _handled.Release();
}
