using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Training;

/// <summary>
/// One optimizer step behind two checks: a NaN/Inf loss or a NaN/Inf gradient norm skips the step (the weights and
/// optimizer moments stay as they were) and is counted; after <c>maxConsecutive</c> skipped steps in a row the run
/// stops with <see cref="TrainingDivergedException"/>, before anything non-finite can reach the weights or a checkpoint.
/// </summary>
internal sealed class NonFiniteStepGuard
{
    private readonly optim.Optimizer _optimizer;
    private readonly Func<IEnumerable<Parameter>> _parameters;
    private readonly double _clipNorm;
    private readonly int _maxConsecutive;

    public NonFiniteStepGuard(optim.Optimizer optimizer, Func<IEnumerable<Parameter>> parameters, double clipNorm, int maxConsecutive)
    {
        _optimizer = optimizer;
        _parameters = parameters;
        _clipNorm = clipNorm;
        _maxConsecutive = maxConsecutive;
    }

    /// <summary>Skipped steps in a row so far (saved in checkpoints so a resumed run counts on).</summary>
    public int Consecutive { get; set; }

    /// <summary>Backpropagates <paramref name="loss"/> and steps, unless the loss or gradients are not finite.</summary>
    /// <returns>True when the step was taken; false when it was skipped.</returns>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps were skipped.</exception>
    public bool Step(Tensor loss, int iteration)
    {
        _optimizer.zero_grad();
        bool finite = float.IsFinite(loss.item<float>());
        if (finite)
        {
            loss.backward();
        }

        return Finish(finite, iteration);
    }

    /// <summary>
    /// Gradient accumulation: backpropagates the losses of <paramref name="parts"/> micro-batches one after the other
    /// (each built by <paramref name="lossOf"/> inside a DisposeScope of its own, so only one micro-batch's graph
    /// lives at a time), then takes one step on the summed gradients, unless a loss or the gradients are not finite.
    /// Every micro-batch's loss is still built after a non-finite one (without a backward pass), so that callers'
    /// metrics cover the whole batch.
    /// </summary>
    /// <returns>True when the step was taken; false when it was skipped.</returns>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps were skipped.</exception>
    public bool Step(int parts, Func<int, Tensor> lossOf, int iteration)
    {
        _optimizer.zero_grad();
        bool finite = true;
        for (int part = 0; part < parts; part++)
        {
            using var scope = NewDisposeScope();
            var loss = lossOf(part);
            finite = finite && float.IsFinite(loss.item<float>());   // CPU-GPU sync point: one per micro-batch
            if (finite)
            {
                loss.backward();
                Losses.Language.RecomputedChunkLogProbs.ReleaseHandedBack();
            }
        }

        return Finish(finite, iteration);
    }

    private bool Finish(bool finite, int iteration)
    {
        if (finite)
        {
            // clip_grad_norm_ returns the total norm before clipping; an infinite max_norm measures without clipping.
            double max = _clipNorm > 0 ? _clipNorm : double.PositiveInfinity;
            finite = double.IsFinite(nn.utils.clip_grad_norm_(_parameters(), max));
        }

        if (finite)
        {
            _optimizer.step();
            Consecutive = 0;
            return true;
        }

        _optimizer.zero_grad();
        Consecutive++;
        if (Consecutive >= _maxConsecutive)
        {
            throw new TrainingDivergedException(iteration, Consecutive);
        }

        return false;
    }
}
