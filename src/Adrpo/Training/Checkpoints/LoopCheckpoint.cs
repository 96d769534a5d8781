using TorchSharp;
using static TorchSharp.torch;

namespace Adrpo.Training.Checkpoints;

/// <summary>
/// Saves and restores a training loop's whole state with one <see cref="TrainingCheckpoint"/> file: the trainable
/// tensors, the optimizer, every random generator, the iteration, the non-finite guard's count and the metrics, under
/// a settings fingerprint. Both tracks call it; each supplies only its tensor keys, generators and fingerprint.
/// </summary>
internal static class LoopCheckpoint
{
    /// <summary>What a loop saves, by reference to its live objects.</summary>
    /// <param name="Trainer">Trainer kind stored in the file; a checkpoint of another kind is refused.</param>
    /// <param name="Parameters">The trainable tensors under their checkpoint keys (restored in place).</param>
    /// <param name="Optimizer">The optimizer whose moments are saved.</param>
    /// <param name="Generators">Every random stream under its checkpoint key.</param>
    /// <param name="Guard">The non-finite step guard (its count of skipped steps in a row).</param>
    /// <param name="Fingerprint">Settings a resumed run must share with the run that wrote the file.</param>
    public sealed record Parts(
        string Trainer,
        IReadOnlyList<(string Key, Tensor Value)> Parameters,
        optim.Optimizer Optimizer,
        IReadOnlyList<(string Key, Generator Value)> Generators,
        NonFiniteStepGuard Guard,
        IEnumerable<(string Key, string Value)> Fingerprint);

    /// <summary>Writes the state to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Save<TMetrics>(string path, Parts parts, TrainingState<TMetrics> state)
    {
        using var scope = NewDisposeScope();   // detach/cpu copies and the optimizer's temporaries die here
        using var checkpoint = new TrainingCheckpoint(parts.Trainer);
        foreach (var (key, value) in parts.Parameters)
        {
            checkpoint.Tensors[key] = value.detach().cpu();
        }

        checkpoint.Tensors["optimizer"] = OptimizerStateTensor.Capture(parts.Optimizer);
        foreach (var (key, generator) in parts.Generators)
        {
            checkpoint.Tensors[key] = generator.get_state();
        }

        checkpoint.SetInt("iteration", state.Iteration);
        checkpoint.SetInt("skipped_in_a_row", parts.Guard.Consecutive);
        checkpoint.SetJson("metrics", state.Metrics);
        checkpoint.SetFingerprint(parts.Fingerprint);

        checkpoint.Save(path);
        checkpoint.Tensors.Clear();   // the scope owns them
    }

    /// <summary>Restores the state from <paramref name="path"/>: every random draw after it matches an uninterrupted run.</summary>
    /// <exception cref="InvalidDataException">The file is another trainer's, has other settings, or lacks a tensor (named).</exception>
    public static void Restore<TMetrics>(string path, Parts parts, TrainingState<TMetrics> state)
    {
        using var scope = NewDisposeScope();
        using var checkpoint = TrainingCheckpoint.Load(path, parts.Trainer);
        checkpoint.RequireFingerprint(parts.Fingerprint);

        using (no_grad())
        {
            foreach (var (key, value) in parts.Parameters)
            {
                value.copy_(checkpoint.Tensor(key, value.shape));
            }
        }

        OptimizerStateTensor.Restore(parts.Optimizer, checkpoint.Tensor("optimizer"), path);
        foreach (var (key, generator) in parts.Generators)
        {
            generator.set_state(checkpoint.Tensor(key));
        }

        state.Iteration = (int)checkpoint.Int("iteration");
        parts.Guard.Consecutive = (int)checkpoint.Int("skipped_in_a_row");
        state.Metrics.Clear();
        state.Metrics.AddRange(checkpoint.FromJson<List<TMetrics>>("metrics"));
    }
}
