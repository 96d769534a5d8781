using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adrpo.Training.Checkpoints;

/// <summary>
/// Optimizer state (AdamW's step counts and first/second moments) as one byte tensor, so it travels inside the
/// checkpoint's safetensors file. Uses TorchSharp's own state serialisation, which restores into an optimizer
/// built over the same parameters in the same order.
/// </summary>
internal static class OptimizerStateTensor
{
    public static Tensor Capture(optim.Optimizer optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            Helper(optimizer, string.Empty).save_state_dict(writer);
        }

        return tensor(stream.ToArray(), dtype: ScalarType.Byte);
    }

    public static void Restore(optim.Optimizer optimizer, Tensor state, string checkpointPath)
    {
        byte[] bytes = state.data<byte>().ToArray();
        using var stream = new MemoryStream(bytes);
        using var reader = new BinaryReader(stream);
        try
        {
            Helper(optimizer, checkpointPath).load_state_dict(reader);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException or IOException)
        {
            throw new InvalidDataException($"Checkpoint '{checkpointPath}': the optimizer state does not fit this run's trainable parameters ({e.Message}).", e);
        }

        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException($"Checkpoint '{checkpointPath}': the optimizer state has {stream.Length - stream.Position} unread bytes; it was saved for different parameters.");
        }
    }

    private static OptimizerHelper Helper(optim.Optimizer optimizer, string path) =>
        optimizer as OptimizerHelper ?? throw new NotSupportedException($"Checkpoint '{path}': optimizer {optimizer.GetType().Name} cannot save its state.");
}
