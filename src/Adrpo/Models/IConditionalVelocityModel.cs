using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Models;

/// <summary>
/// A conditional velocity field v(x_t, t, c) for flow matching: the generator that
/// <c>AdrpoFlowMatchingTrainer</c> fine-tunes. Implement it to plug in your own network (e.g. an MMDiT).
/// </summary>
public interface IConditionalVelocityModel : IDisposable
{
    /// <summary>Shape of one sample, e.g. [3, 32, 32] (channels, height, width).</summary>
    long[] SampleShape { get; }

    /// <summary>Size of the pooled condition vector the model expects (e.g. 384 for all-MiniLM-L6-v2).</summary>
    int ConditionDimension { get; }

    /// <summary>
    /// When false the model computes the frozen pre-trained network alone: the reference velocity v_ref of eq. 6
    /// (LoRA adapters off), so no second copy of the weights is needed.
    /// </summary>
    bool AdaptersEnabled { get; set; }

    /// <summary>Predicts velocities.</summary>
    /// <param name="xt">[batch, ...SampleShape] points on the path.</param>
    /// <param name="t">[batch] times in [0, 1].</param>
    /// <param name="condition">[batch, ConditionDimension] condition vectors; zeros mean "unconditional" (for guidance).</param>
    /// <returns>[batch, ...SampleShape] velocities.</returns>
    Tensor Forward(Tensor xt, Tensor t, Tensor condition);

    /// <summary>The parameters the fine-tuner optimises (the LoRA adapters, or all weights for full fine-tuning).</summary>
    IReadOnlyList<Parameter> TrainableParameters();

    /// <summary>Switches between training and evaluation behaviour (dropout etc.).</summary>
    void SetTraining(bool training);
}
