using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Adrpo.Models.Language;

/// <summary>
/// Activation checkpointing of one decoder layer as a custom autograd function (TorchSharp 0.107 has no
/// <c>torch.utils.checkpoint</c>): the forward pass runs the layer without autograd and keeps only its input (and the
/// rotary tables and attention pattern it shares with every layer); the backward pass runs the layer again with
/// autograd on and differentiates that recomputation with <c>torch.autograd.grad</c>. So a layer's activations
/// (projections, attention, the [B, T, intermediate] MLP tensors) live only while its own backward runs, at the price
/// of a second forward pass per layer. The layer's trainable parameters are inputs of the function, so that autograd
/// routes their gradients (and the function runs even when the input needs none, as with LoRA).
/// LoRA dropout draws its masks from a generator: its state is saved before the forward pass and restored for the
/// recomputation (and put back afterwards), so both passes use the same masks.
/// Vars: <c>[hidden, cos, sin, allowed, layer, dropout generator or null, trainable parameters...]</c>.
/// </summary>
internal sealed class CheckpointedDecoderLayer : SingleTensorFunction<CheckpointedDecoderLayer>
{
    // The gradients handed back by the last backward call on this thread; autograd copies them (a reference to the
    // same storage) when backward returns, so they are released at the next call (as RecomputedChunkLogProbs does)
    // instead of living until the end of the step.
    [ThreadStatic]
    private static List<Tensor>? handedBack;

    /// <inheritdoc />
    public override string Name => nameof(CheckpointedDecoderLayer);

    /// <summary>Layers recomputed by backward passes on this thread so far (for the tests: the checkpointed path ran).</summary>
    [ThreadStatic]
    internal static int Recomputations;

    /// <summary>Runs <paramref name="layer"/> on <paramref name="hidden"/> (no cache), checkpointed.</summary>
    public static Tensor Apply(QwenDecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, Tensor allowed, Generator? dropoutRandom)
    {
        var parameters = layer.parameters().Where(p => p.requires_grad).ToArray();
        var vars = new object?[] { hidden, cos, sin, allowed, layer, dropoutRandom }.Concat(parameters).ToArray();
        return apply(vars!);
    }

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var (hidden, cos, sin, allowed) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3]);
        var layer = (QwenDecoderLayer)vars[4];
        var random = vars[5] as Generator;
        ctx.save_for_backward(new List<Tensor> { hidden, cos, sin, allowed });
        ctx.save_data("layer", layer);
        ctx.save_data("random", random!);
        ctx.save_data("state", random?.get_state().DetachFromDisposeScope()!);   // outlives the forward pass's scopes (freed by GC)
        ctx.save_data("inputNeedsGrad", hidden.requires_grad);
        ctx.save_data("parameters", vars.Skip(6).Cast<Parameter>().ToArray());
        return layer.forward(hidden, cos, sin, allowed, null);   // autograd is off here (Function.apply)
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        ReleaseHandedBack();
        var saved = ctx.get_saved_variables();
        var layer = (QwenDecoderLayer)ctx.get_data("layer");
        var random = ctx.get_data("random") as Generator;
        var state = ctx.get_data("state") as Tensor;
        bool inputNeedsGrad = (bool)ctx.get_data("inputNeedsGrad");
        var parameters = (Parameter[])ctx.get_data("parameters");
        List<Tensor> gradients;
        using (var scope = NewDisposeScope())
        using (enable_grad())
        {
            var input = saved[0].detach().requires_grad_(inputNeedsGrad);
            Tensor? after = null;
            if (random is not null && state is not null)
            {
                after = random.get_state();
                random.set_state(state);   // the forward pass's dropout masks
            }

            var output = layer.forward(input, saved[1], saved[2], saved[3], null);
            Recomputations++;
            if (after is not null)
            {
                random!.set_state(after);
            }

            var wrt = (inputNeedsGrad ? new[] { input } : Array.Empty<Tensor>()).Concat(parameters).ToList();
            gradients = grad(new[] { output }, wrt, new[] { grad_output }, allow_unused: true)
                .Select(g => g is null || g.IsInvalid ? null! : g.DetachFromDisposeScope()).ToList();
        }

        foreach (var t in saved)
        {
            t.Dispose();
        }

        (handedBack ??= new List<Tensor>()).AddRange(gradients.Where(g => g is not null));
        var result = new List<Tensor> { inputNeedsGrad ? gradients[0] : null!, null!, null!, null!, null!, null! };
        result.AddRange(gradients.Skip(inputNeedsGrad ? 1 : 0));
        return result;
    }

    /// <summary>Releases the gradients the last backward call on this thread handed back (already copied by autograd).</summary>
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
}
