using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models.Lora;

/// <summary>
/// A linear layer with a low-rank adapter (LoRA, Hu et al.): <c>y = W x + b + (alpha / r) B A dropout(x)</c>, where the
/// wrapped layer (<c>base_layer</c>) is frozen and only <c>lora_A</c> [r, in] and <c>lora_B</c> [out, r] train.
/// As in PEFT, dropout acts on the adapter's input only and only in training mode.
/// <c>lora_B</c> starts at zero, so a fresh adapter leaves the model unchanged. With adapters disabled the layer is
/// exactly the base model, which is how ADRPO obtains the reference velocity v_ref without a second copy.
/// Field names follow PEFT's keys (<c>base_layer</c>, <c>lora_A</c>, <c>lora_B</c>).
/// </summary>
internal sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006, SA1300 // Hugging Face / PEFT key names
    private readonly Linear base_layer;
    private readonly Linear lora_A;
    private readonly Linear lora_B;
#pragma warning restore IDE1006, SA1300
    private readonly Generator? _dropoutRandom;

    /// <summary>Wraps <paramref name="baseLayer"/>; its parameters are frozen.</summary>
    /// <param name="baseLayer">The pretrained layer.</param>
    /// <param name="rank">Adapter rank r, at least 1 and at most min(in, out).</param>
    /// <param name="alpha">Scaling numerator; the update is multiplied by alpha / r.</param>
    /// <param name="generator">Seeded generator for lora_A's initialisation (Kaiming-uniform, as PEFT).</param>
    /// <param name="dropout">Probability of zeroing an adapter input in training mode, in [0, 1).</param>
    /// <param name="dropoutRandom">Seeded CPU generator of the dropout masks (so a run and its resume draw the same
    /// masks); null uses libtorch's global generator.</param>
    public LoraLinear(Linear baseLayer, int rank, double alpha, Generator? generator = null, double dropout = 0, Generator? dropoutRandom = null) : base(nameof(LoraLinear))
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        long inFeatures = baseLayer.weight!.shape[1], outFeatures = baseLayer.weight.shape[0];
        if (rank < 1 || rank > Math.Min(inFeatures, outFeatures))
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"LoRA rank must be in [1, {Math.Min(inFeatures, outFeatures)}] for a {inFeatures}->{outFeatures} layer.");
        }

        if (!(alpha > 0) || double.IsInfinity(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "LoRA alpha must be a positive finite number.");
        }

        if (!(dropout >= 0 && dropout < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "LoRA dropout must be a probability in [0, 1).");
        }

        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        _dropoutRandom = dropoutRandom;
        base_layer = baseLayer;
        var dtype = baseLayer.weight.dtype;
        var device = baseLayer.weight.device;
        lora_A = nn.Linear(inFeatures, rank, hasBias: false, device: device, dtype: dtype);
        lora_B = nn.Linear(rank, outFeatures, hasBias: false, device: device, dtype: dtype);
        RegisterComponents();

        foreach (var p in base_layer.parameters())
        {
            p.requires_grad = false;
        }

        using var _ = no_grad();
        double bound = 1 / Math.Sqrt(inFeatures); // kaiming_uniform_(a = sqrt(5)) bound for fan_in
        // Drawn on the CPU (where the caller's generator lives) and copied over, so a seed gives the same adapters on every device.
        lora_A.weight!.copy_((rand(lora_A.weight.shape, dtype: dtype, generator: generator) * 2 - 1) * bound);
        lora_B.weight!.zero_();
    }

    /// <summary>Adapter rank r.</summary>
    public int Rank { get; }

    /// <summary>Scaling numerator alpha (the update is scaled by alpha / r).</summary>
    public double Alpha { get; }

    /// <summary>Dropout probability on the adapter input (training mode only).</summary>
    public double Dropout { get; }

    /// <summary>When false, the layer computes the frozen base layer alone (the reference model).</summary>
    public bool AdaptersEnabled { get; set; } = true;

    /// <summary>The trainable adapter matrices A [r, in] and B [out, r].</summary>
    public (Parameter A, Parameter B) Adapters => (lora_A.weight!, lora_B.weight!);

    /// <param name="input">[..., in] features.</param>
    /// <returns>[..., out] features.</returns>
    public override Tensor forward(Tensor input)
    {
        if (!AdaptersEnabled)
        {
            return base_layer.forward(input);
        }

        using var scope = NewDisposeScope();
        var output = base_layer.forward(input);                                   // [..., out]
        var shape = output.shape;
        var x = DropInput(input);
        var flat = x.reshape(-1, x.shape[^1]);                                    // [M, in]
        // W x + b + (alpha / r) B A x, written so that libtorch's matmul backward picks the fast GEMM orientations for
        // the thin rank-r products (its mm backward follows the operands' layouts): h is used as the transpose of
        // A x^T [r, M] (column-major), so dL/dh is computed as B^T dL/dy^T; B^T is passed contiguous, so dL/dB^T is
        // h^T dL/dy. The plain form (lora_B(lora_A(x)) * scale + add) ran those as [M, out] x [out, r] and
        // [out, M] x [M, r], which oneMKL's generic path (non-Intel CPUs) runs 4-5x slower (0.45-0.51 ms against
        // 0.10-0.11 at M 1024, out 384; 1.6-2.7x on the Intel path). The update accumulates into the base output in
        // the same addmm (alpha / r as the GEMM's alpha): no [..., out] temporaries, multiply or add. Forward and
        // backward: 6% of the DiT ADRPO step on the generic path. Same sum up to float rounding.
        var hiddenT = lora_A.weight!.mm(flat.t());                               // [r, M]
        var fused = output.reshape(-1, shape[^1]).addmm(hiddenT.t(), lora_B.weight!.t().contiguous(), beta: 1, alpha: (float)(Alpha / Rank));
        return fused.reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>Inverted dropout of the adapter input: zero each entry with probability p, scale the rest by 1 / (1 - p).</summary>
    private Tensor DropInput(Tensor input)
    {
        if (!training || Dropout == 0)
        {
            return input;
        }

        if (_dropoutRandom is null)
        {
            return nn.functional.dropout(input, Dropout, training: true);
        }

        // Drawn on the CPU from the run's generator, then copied to the input's device (a host-to-device copy per
        // adapted layer and step off the CPU), so the masks are the same on every device and resume exactly.
        // (Called inside forward's dispose scope, which frees the temporaries.)
        var keep = rand(input.shape, dtype: ScalarType.Float32, generator: _dropoutRandom).ge(Dropout).to(input.device);
        return input * keep.to_type(input.dtype) * (1.0 / (1.0 - Dropout));
    }

    /// <summary>The merged weight <c>W + (alpha / r) B A</c> [out, in], for export; the module is unchanged.</summary>
    public Tensor MergedWeight()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var delta = lora_B.weight!.matmul(lora_A.weight!) * (Alpha / Rank);
        return (base_layer.weight! + delta).MoveToOuterDisposeScope();
    }
}
