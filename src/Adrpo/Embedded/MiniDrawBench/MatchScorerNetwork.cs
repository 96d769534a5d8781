using Adrpo.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Embedded.MiniDrawBench;

/// <summary>
/// The embedded default's reward network, a miniature image-text matching model (in the spirit of CLIP/BLIP
/// scores, which the paper uses as rewards): a small CNN embeds the 32x32 image, a linear layer projects the
/// frozen MiniLM prompt embedding, and an MLP over [image, text, image*text] predicts the logit that the image
/// shows what the prompt asks for. It keeps a spatial feature map (no global pooling) so left/right/above/below
/// and counts remain visible to the classifier.
/// </summary>
internal sealed class MatchScorerNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    public const int EmbeddingSize = 128;

#pragma warning disable IDE1006 // state-dict key names
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d conv3;
    private readonly Linear image_proj;
    private readonly Linear text_proj;
    private readonly Linear head1;
    private readonly Linear head2;
#pragma warning restore IDE1006

    public MatchScorerNetwork(int textDimension, Generator generator) : base(TorchRuntime.Checked(nameof(MatchScorerNetwork)))
    {
        conv1 = nn.Conv2d(3, 32, 3, padding: 1);                 // [B, 32, 32, 32]
        conv2 = nn.Conv2d(32, 64, 3, stride: 2, padding: 1);     // [B, 64, 16, 16]
        conv3 = nn.Conv2d(64, 64, 3, stride: 2, padding: 1);     // [B, 64, 8, 8]
        image_proj = nn.Linear(64 * 8 * 8, EmbeddingSize);
        text_proj = nn.Linear(textDimension, EmbeddingSize);
        head1 = nn.Linear(3 * EmbeddingSize, EmbeddingSize);
        head2 = nn.Linear(EmbeddingSize, 1);
        RegisterComponents();
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            long fanIn = p.dim() > 1 ? p.shape.Skip(1).Aggregate(1L, (a, b) => a * b) : 1;
            double bound = p.dim() > 1 ? Math.Sqrt(6.0 / fanIn) / 2 : 0;
            p.copy_((rand(p.shape, generator: generator) * 2 - 1) * bound);
        }
    }

    /// <param name="images">[B, 3, 32, 32] images in [-1, 1].</param>
    /// <param name="text">[B, textDimension] prompt embeddings.</param>
    /// <returns>[B] match logits.</returns>
    public override Tensor forward(Tensor images, Tensor text)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(conv1.forward(images));
        h = nn.functional.silu(conv2.forward(h));
        h = nn.functional.silu(conv3.forward(h));
        var img = nn.functional.silu(image_proj.forward(h.flatten(1)));
        var txt = nn.functional.silu(text_proj.forward(text));
        var fused = cat(new[] { img, txt, img * txt }, 1);
        return head2.forward(nn.functional.silu(head1.forward(fused))).squeeze(1).MoveToOuterDisposeScope();
    }
}
