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
    public bool Step(Tensor loss, int iteration) => Step(1, _ => loss, iteration);

    /// <summary>
    /// Gradient accumulation: builds and backpropagates the losses of <paramref name="parts"/> parts one after the other
    /// (micro-batches, or Flow-GRPO's trained SDE steps; each inside a DisposeScope of its own, so only one graph lives
    /// at a time), then takes one step on the summed gradients, unless a loss or the gradients are not finite. Every
    /// part's loss is still built after a non-finite one (without a backward pass), so that callers' metrics cover the
    /// whole batch.
    /// </summary>
    /// <param name="parts">Number of parts, at least 1.</param>
    /// <param name="lossOfPart">Builds part p's loss (already scaled so the parts add up to the whole loss).</param>
    /// <param name="iteration">The iteration, for the exception's message.</param>
    /// <returns>True when the step was taken; false when it was skipped.</returns>
    /// <exception cref="TrainingDivergedException">Too many consecutive steps were skipped.</exception>
    public bool Step(int parts, Func<int, Tensor> lossOfPart, int iteration)
    {
        _optimizer.zero_grad();
        bool finite = true;
        for (int part = 0; part < parts; part++)
        {
            using var scope = NewDisposeScope();
            var loss = lossOfPart(part);
            finite = finite && float.IsFinite(loss.item<float>());   // CPU-GPU sync point: one per part
            if (finite)
            {
                loss.backward();
                Losses.Language.RecomputedChunkLogProbs.ReleaseHandedBack();   // the recomputed head's gradients, handed back to libtorch
                Models.Language.CheckpointedDecoderLayer.ReleaseHandedBack();  // the checkpointed layers' gradients, likewise
            }
        }

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
