using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;

namespace Adrpo.Persistence;

/// <summary>
/// Refuses <c>mlContext.Model.Save</c> for an Adrpo transformer without leaving a partial model zip behind.
/// </summary>
/// <remarks>
/// <para>
/// ML.NET 5.0.1 keeps <see cref="ModelSaveContext"/>'s writing members internal, so a third-party transformer cannot
/// write itself into the zip; its <see cref="ICanSaveModel.Save"/> can only throw. But
/// <c>ModelOperationsCatalog.Save(model, schema, filePath)</c> creates the file (<c>File.Create</c>) before it asks
/// the transformer to save, and its <c>using</c> blocks then close the zip, writing a ~200-byte archive with no model.
/// </para>
/// <para>
/// So before throwing, this class finds the stream the zip writes to (ModelSaveContext -> RepositoryWriter ->
/// ZipArchive -> Stream, found by field type, not name, so a renamed private field does not break it) and, when it is
/// a <see cref="FileStream"/>, deletes that file. On Linux and macOS deleting an open file removes its name at once;
/// ML.NET's later writes go to the unlinked inode and vanish when the stream closes. On Windows
/// <c>File.Create</c> opens the file without delete sharing, so the delete fails with an <see cref="IOException"/>;
/// the file is then truncated to 0 bytes instead (no half-written zip, but an empty file remains) and the
/// exception message says so. A stream the caller passed (<c>Save(model, schema, stream)</c>) is left alone unless it
/// is a <see cref="FileStream"/>: the caller gets the same exception and no bytes of a model that is not there.
/// </para>
/// </remarks>
internal static class ModelZipRefusal
{
    private const int MaxDepth = 4;

    /// <summary>Removes the zip file <paramref name="ctx"/> writes to (where possible) and returns the exception to throw.</summary>
    /// <param name="ctx">The save context ML.NET passed to <see cref="ICanSaveModel.Save"/>.</param>
    /// <param name="transformer">The refusing transformer's type name, for the message.</param>
    /// <param name="instead">What to call instead, e.g. "Save(folder) and Load(folder)".</param>
    public static NotSupportedException Refuse(ModelSaveContext ctx, string transformer, string instead)
    {
        string why = $"mlContext.Model.Save cannot store {transformer}: ML.NET 5 keeps ModelSaveContext's writing members internal, "
            + $"so a transformer from another library cannot write itself into ML.NET's model zip. Use {instead} instead "
            + "(for a TransformerChain, save its Adrpo transformer that way; the other steps are recreated by code or saved without it).";
        string outcome;
        try
        {
            outcome = FindFileStream(ctx) is { } file ? Remove(file) : string.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
            outcome = $" The partial model file could not be removed ({e.Message}); delete it.";
        }

        return new NotSupportedException(why + outcome);
    }

    /// <summary>The file stream under the context's zip, or null when the zip writes to another kind of stream.</summary>
    /// <remarks>ML.NET also writes each entry to a temporary file first; those are not the model file, so only the
    /// streams held by the <see cref="ZipArchive"/> itself count.</remarks>
    internal static FileStream? FindFileStream(object ctx)
    {
        // ModelSaveContext -> RepositoryWriter -> ZipArchive; nothing else is followed, so the walk never wanders into
        // the transformer graph, the host environment or the entries' temporary files.
        var zip = Walk(ctx, node => node is ZipArchive, node => node is ModelSaveContext || IsRepository(node)) as ZipArchive;
        return zip is null ? null : Walk(zip, node => node is FileStream, node => node is ZipArchive or Stream) as FileStream;
    }

    private static bool IsRepository(object node) =>
        node.GetType().FullName is { } name && name.StartsWith("Microsoft.ML.", StringComparison.Ordinal) && name.Contains("Repository", StringComparison.Ordinal);

    /// <summary>Breadth-first over instance fields from <paramref name="root"/>, expanding only nodes <paramref name="follow"/> accepts.</summary>
    private static object? Walk(object root, Func<object, bool> target, Func<object, bool> follow)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var level = new List<object> { root };
        for (int depth = 0; depth <= MaxDepth && level.Count > 0; depth++)
        {
            var next = new List<object>();
            foreach (object node in level)
            {
                if (depth > 0 && target(node))
                {
                    return node;
                }

                if (!seen.Add(node) || !follow(node))
                {
                    continue;
                }

                for (var type = node.GetType(); type is not null && type != typeof(object); type = type.BaseType)
                {
                    foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
                    {
                        if (!field.FieldType.IsValueType && field.GetValue(node) is { } value)
                        {
                            next.Add(value);
                        }
                    }
                }
            }

            level = next;
        }

        return null;
    }

    private static string Remove(FileStream file)
    {
        string path = file.Name;
        try
        {
            File.Delete(path);
            return $" No file was left at '{path}'.";
        }
        catch (IOException) when (OperatingSystem.IsWindows())
        {
            // The stream holds the file without delete sharing (File.Create); empty it so no half-written zip remains.
            file.SetLength(0);
            return $" '{path}' could not be deleted while ML.NET holds it open (Windows); it was left empty: delete it.";
        }
    }
}
