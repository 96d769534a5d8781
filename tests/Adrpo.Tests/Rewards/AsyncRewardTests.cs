using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Adrpo.Rewards;
using Microsoft.ML;

namespace Adrpo.Tests.Rewards;

/// <summary>
/// RewardModel.FromAsyncFunction against a judge served by this test on 127.0.0.1 (System.Net.HttpListener; no outside
/// network): a slow judge (timeout, then retries), a failing one (retries, then one clear error) and the concurrency
/// cap as the server sees it.
/// </summary>
[TestClass]
public sealed class AsyncRewardTests
{
    [TestMethod]
    public void ASlowJudgeTimesOutEachAttemptThenFailsNamingTheRewardAndTheAttempts()
    {
        using var judge = new LocalJudge((_, _) => Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => "[]", TaskScheduler.Default));
        var reward = RewardModel.FromAsyncFunction(judge.Score, new AsyncRewardOptions { Timeout = TimeSpan.FromMilliseconds(200), MaxRetries = 1, RetryDelay = TimeSpan.Zero }, name: "slow judge");
        var scorer = new RewardScorer(new MLContext(seed: 1), [reward]);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(["p", "q"], ["a", "b"]));
        StringAssert.Contains(e.Message, "reward model 0 ('slow judge') failed for samples 0-1 of 2 after 2 attempts (AsyncRewardOptions: Timeout 0.2 s, MaxRetries 1)");
        StringAssert.Contains(e.Message, "attempt 1: timed out after 0.2 s; attempt 2: timed out after 0.2 s");
        Assert.AreEqual(2, judge.Requests, "one request per attempt");
    }

    [TestMethod]
    public void AFailingJudgeIsRetriedThenFailsWithEveryAttemptsError()
    {
        using var judge = new LocalJudge((_, _) => throw new InvalidOperationException("judge overloaded"));
        var reward = RewardModel.FromAsyncFunction(judge.Score, new AsyncRewardOptions { MaxRetries = 2, RetryDelay = TimeSpan.FromMilliseconds(1) }, name: "judge");
        var scorer = new RewardScorer(new MLContext(seed: 1), [RewardModel.FromFunction((_, c) => c.Length, name: "length"), reward]);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => scorer.Score(["p"], ["abc"]));
        StringAssert.Contains(e.Message, "reward model 1 ('judge') failed for samples 0-0 of 1 after 3 attempts");
        StringAssert.Contains(e.Message, "attempt 1: HttpRequestException:");
        StringAssert.Contains(e.Message, "500");
        StringAssert.Contains(e.Message, "attempt 3: HttpRequestException:");
        StringAssert.Contains(e.Message, "raise Timeout / MaxRetries");
        Assert.AreEqual(3, judge.Requests, "the first attempt and two retries");
    }

    [TestMethod]
    public void AtMostMaxConcurrencyCallsAreInFlightAndScoresComeBackInOrder()
    {
        const int cap = 3;
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var judge = new LocalJudge(async (completions, inFlight) =>
        {
            // Requests are held until `cap` are in flight, then 0.2 s more: a client that did not hold back would have
            // sent its other requests by then (all 6 go out at once), and the server would see more than `cap`.
            if (inFlight >= cap)
            {
                _ = Task.Delay(TimeSpan.FromMilliseconds(200)).ContinueWith(_ => held.TrySetResult(), TaskScheduler.Default);
            }

            await Task.WhenAny(held.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            return JsonSerializer.Serialize(completions.Select(c => (float?)(c == "skip" ? null : c.Length)));
        });
        var reward = RewardModel.FromAsyncFunction(judge.Score, new AsyncRewardOptions { BatchSize = 2, MaxConcurrency = cap, RetryDelay = TimeSpan.Zero }, weight: 2, name: "judge");
        string[] completions = Enumerable.Range(1, 12).Select(i => i == 5 ? "skip" : new string('x', i)).ToArray();

        var scored = new RewardScorer(new MLContext(seed: 1), [reward]).Score(completions.Select(_ => "p").ToList(), completions);

        Assert.AreEqual(cap, judge.MaxInFlight, "the server saw exactly the cap in flight");
        Assert.AreEqual(6, judge.Requests, "12 samples in batches of 2");
        var expected = completions.Select(c => c == "skip" ? float.NaN : 2f * c.Length).ToArray();
        CollectionAssert.AreEqual(expected, scored.Total.Select(t => float.IsNaN(t) ? float.NaN : t).ToArray());
        Assert.IsFalse(scored.Valid[4], "null from the only reward leaves no applicable model");
    }

    [TestMethod]
    public void OptionsOutOfRangeAreNamed()
    {
        Func<IReadOnlyList<RewardSample>, CancellationToken, Task<float?[]>> f = (b, _) => Task.FromResult(new float?[b.Count]);
        Assert.AreEqual("MaxConcurrency", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RewardModel.FromAsyncFunction(f, new AsyncRewardOptions { MaxConcurrency = 0 })).ParamName);
        Assert.AreEqual("Timeout", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RewardModel.FromAsyncFunction(f, new AsyncRewardOptions { Timeout = TimeSpan.Zero })).ParamName);
        Assert.AreEqual("MaxRetries", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RewardModel.FromAsyncFunction(f, new AsyncRewardOptions { MaxRetries = -1 })).ParamName);
        Assert.AreEqual("BatchSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => RewardModel.FromAsyncFunction(f, new AsyncRewardOptions { BatchSize = 0 })).ParamName);
    }

    /// <summary>
    /// A judge on 127.0.0.1: POST a JSON array of completions, get a JSON array of scores. The handler gets the
    /// completions and the number of requests in flight (this one included); a handler that throws answers 500.
    /// </summary>
    private sealed class LocalJudge : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly HttpClient _client = new();
        private readonly Func<string[], int, Task<string>> _handle;
        private readonly string _url;
        private int _inFlight;
        private int _maxInFlight;
        private int _requests;

        public LocalJudge(Func<string[], int, Task<string>> handle)
        {
            _handle = handle;
            _url = $"http://127.0.0.1:{FreePort()}/judge/";
            _listener.Prefixes.Add(_url);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Requests => Volatile.Read(ref _requests);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        /// <summary>The reward function: one POST per batch; a non-success status throws HttpRequestException.</summary>
        public async Task<float?[]> Score(IReadOnlyList<RewardSample> batch, CancellationToken cancellation)
        {
            using var body = new StringContent(JsonSerializer.Serialize(batch.Select(s => s.Completion)), Encoding.UTF8, "application/json");
            using var response = await _client.PostAsync(_url, body, cancellation);
            response.EnsureSuccessStatusCode();
            return JsonSerializer.Deserialize<float?[]>(await response.Content.ReadAsStringAsync(cancellation))!;
        }

        public void Dispose()
        {
            _client.Dispose();
            _listener.Close();
        }

        private static int FreePort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;   // closed
                }

                _ = Task.Run(() => AnswerAsync(context));
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            Interlocked.Increment(ref _requests);
            int now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, max) != max)
            {
            }

            try
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                string[] completions = JsonSerializer.Deserialize<string[]>(await reader.ReadToEndAsync())!;
                string answer;
                try
                {
                    answer = await _handle(completions, now);
                    context.Response.StatusCode = 200;
                }
                catch (InvalidOperationException ex)
                {
                    answer = ex.Message;
                    context.Response.StatusCode = 500;
                }

                Interlocked.Decrement(ref _inFlight);
                byte[] bytes = Encoding.UTF8.GetBytes(answer);
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException)
            {
                // the client gave up (timeout) or the listener closed
            }
        }
    }
}
