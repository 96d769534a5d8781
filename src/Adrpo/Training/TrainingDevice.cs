using Adrpo.Models;
using Adrpo.Models.Language;
using Microsoft.ML;
using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training;

/// <summary>
/// The one device a trainer runs on, chosen once from <see cref="MLContext.GpuDeviceId"/> and
/// <see cref="MLContext.FallbackToCpu"/> (see <see cref="TorchDeviceSelector"/>). The trainer moves its model (and,
/// for the language track, the frozen reference copy is created) there at the start of Fit; the training loops put
/// every other tensor (prompts, conditions, noise, rewards, advantages) there through <see cref="ToDevice"/> or
/// <see cref="Device"/>, and nowhere else, so a run never mixes devices.
/// </summary>
internal sealed class TrainingDevice
{
    public TrainingDevice(Device device) => Device = device;

    /// <summary>Where the model, the reference and every training tensor live.</summary>
    public Device Device { get; }

    /// <summary>The device <paramref name="context"/> asks for.</summary>
    /// <exception cref="InvalidOperationException">A GPU was asked for, none is available, and FallbackToCpu is false.</exception>
    public static TrainingDevice Select(MLContext context) => new(TorchDeviceSelector.Select(context));

    /// <summary><paramref name="tensor"/> on <see cref="Device"/> (the same values; no copy when it is already there).</summary>
    public Tensor ToDevice(Tensor tensor) => tensor.to(Device);

    /// <summary>Moves the language model's parameters and buffers to <see cref="Device"/>, in place.</summary>
    public void Place(QwenForCausalLM model)
    {
        if (!Same(model.Device, Device))
        {
            model.to(Device);
        }
    }

    /// <summary>
    /// Moves the generator to <see cref="Device"/> in place when it is a <c>torch.nn.Module</c> (as
    /// <see cref="Models.Dit.DitVelocityModel"/> is); any other implementation must already be there.
    /// </summary>
    /// <exception cref="ArgumentException">The generator is not a module and its trainable parameters are elsewhere.</exception>
    public void Place(IConditionalVelocityModel generator)
    {
        if (generator is nn.Module module)
        {
            if (module.parameters().Any(p => !Same(p.device, Device)))
            {
                module.to(Device);
            }

            return;
        }

        if (generator.TrainableParameters().FirstOrDefault(p => !Same(p.device, Device)) is { } elsewhere)
        {
            throw new ArgumentException($"Options.Generator ({generator.GetType().Name}) is not a torch.nn.Module, so it cannot be moved to {Device}, the device MLContext.GpuDeviceId / FallbackToCpu selected; its parameters are on {elsewhere.device}. Create it on {Device}, or make it a module.", "Generator");
        }
    }

    /// <summary>The device a generator's weights are on: its first parameter's (CPU when it has none).</summary>
    public static Device Of(IConditionalVelocityModel generator)
    {
        var first = generator is nn.Module module ? module.parameters().FirstOrDefault() : generator.TrainableParameters().FirstOrDefault();
        return first?.device ?? CPU;
    }

    private static bool Same(Device a, Device b) =>
        a.type == b.type && (a.type == DeviceType.CPU || a.index == b.index);
}
