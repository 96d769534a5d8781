using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Adrpo.Losses.Language;

/// <summary>
/// <c>log softmax(h W^T / T)[y]</c> for one chunk of positions as a custom autograd function that keeps only
/// <c>h</c>, <c>W</c> and <c>y</c> for the backward pass and recomputes the chunk's logits there, so no
/// <c>[rows, vocab]</c> tensor lives between the forward and the backward pass (activation checkpointing of the
/// output head, per chunk). Gradient of <c>z[y] - logsumexp(z)</c> with <c>z = h W^T / T</c>:
/// <c>dz = g (onehot(y) - softmax(z))</c>, then <c>dh = dz W / T</c> and <c>dW = dz^T h / T</c>.
/// Vars: <c>[h [rows, hidden], W [vocab, hidden], y [rows] int64, temperature (double)]</c>.
/// </summary>
internal sealed class RecomputedChunkLogProbs : SingleTensorFunction<RecomputedChunkLogProbs>
{
    // The gradients handed back to autograd by the last backward call on this thread. The native side copies them
    // (a reference to the same storage) as soon as backward returns, so they are released at the next call here
    // rather than by a DisposeScope: a scope would keep every chunk's [vocab, hidden] weight gradient alive until
    // the end of the step, which measured as much memory as keeping the logits.
    [ThreadStatic]
    private static List<Tensor>? handedBack;

    /// <inheritdoc />
    public override string Name => nameof(RecomputedChunkLogProbs);

    /// <summary>Applies the function to one chunk (differentiable in <paramref name="hidden"/> and <paramref name="weight"/>).</summary>
    public static Tensor Apply(Tensor hidden, Tensor weight, Tensor targets, double temperature) =>
        apply(hidden, weight, targets, temperature);

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (h, w, y, temperature) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (double)vars[3]);
        ctx.save_for_backward(new List<Tensor> { h, w, y });
        ctx.save_data("temperature", temperature);
        ctx.save_data("weightNeedsGrad", w.requires_grad);   // false with LoRA (a frozen tied head): no [vocab, hidden] gradient
        using var scope = NewDisposeScope();
        var z = Logits(h, w, temperature);
        return (z.gather(-1, y.unsqueeze(-1)).squeeze(-1) - z.logsumexp(-1)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        ReleaseHandedBack();
        var saved = ctx.get_saved_variables();
        var (h, w, y) = (saved[0], saved[1], saved[2]);
        double temperature = (double)ctx.get_data("temperature");
        bool weightNeedsGrad = (bool)ctx.get_data("weightNeedsGrad");
        Tensor gradHidden;
        Tensor? gradWeight = null;
        using (var scope = NewDisposeScope())
        {
            var g = grad_output.unsqueeze(-1);                                 // [rows, 1]
            var dz = softmax(Logits(h, w, temperature), -1).mul_(g.neg());     // recomputed: the chunk's [rows, vocab]
            dz.scatter_add_(-1, y.unsqueeze(-1), g);
            if (temperature != 1.0)
            {
                dz.div_(temperature);
            }

            gradHidden = dz.matmul(w).DetachFromDisposeScope();                // [rows, hidden]
            if (weightNeedsGrad)
            {
                gradWeight = dz.t().matmul(h).DetachFromDisposeScope();        // [vocab, hidden]
            }
        }

        foreach (var t in saved)
        {
            t.Dispose();
        }

        (handedBack ??= new List<Tensor>()).Add(gradHidden);
        if (gradWeight is not null)
        {
            handedBack.Add(gradWeight);
        }

        return new List<Tensor> { gradHidden, gradWeight!, null!, null! };
    }

    /// <summary>Releases the gradients the last backward call on this thread handed back (already copied by autograd);
    /// the trainer calls it after each backward pass, so that not even the last chunk's stay alive.</summary>
    internal static void ReleaseHandedBack()
    {
        if (handedBack is null)
        {
            return;
        }

        foreach (var t in handedBack)
        {
            t.Dispose();
        }

        handedBack.Clear();
    }

    private static Tensor Logits(Tensor h, Tensor w, double temperature)
    {
        var z = nn.functional.linear(h, w);
        return temperature != 1.0 ? z.div_(temperature) : z;
    }
}
