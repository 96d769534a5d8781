// This one file is compiled twice: into the Adrpo library (ADRPO_LIBRARY is defined there) and, by
// MSBuild's RoslynCodeTaskFactory, into the build task that Adrpo.targets runs after every build.
// It therefore sticks to APIs that exist in netstandard2.0 and has no dependency besides the BCL.
//
// Why it exists: TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and lists
// a version need GLIBCXX_3.4.32, whose only symbol is the marker std::ios_base_library_init that no
// relocation binds. Debian 12's libstdc++ stops at 3.4.30, so the loader refuses the library. Setting the
// VER_FLG_WEAK bit on that one Elf64_Vernaux entry turns the hard need into a weak one; nothing else changes.
#nullable enable
namespace Adrpo.Native
{
    using System;
    using System.IO;
    using System.Text;

    /// <summary>Outcome of <see cref="ElfVersionNeedPatcher.MakeVersionNeedWeak(string, string)"/>.</summary>
    internal enum ElfPatchOutcome
    {
        /// <summary>The version need was found and its weak bit was set; the file was replaced.</summary>
        Patched,

        /// <summary>The version need was already weak; the file was left untouched.</summary>
        AlreadyWeak,

        /// <summary>The file does not need that version at all; the file was left untouched.</summary>
        NotNeeded,
    }

    /// <summary>
    /// Marks one symbol-version need of an ELF64 shared library as weak (<c>VER_FLG_WEAK</c>) so the dynamic
    /// loader accepts the library on systems whose library lacks that version.
    /// </summary>
    internal static class ElfVersionNeedPatcher
    {
        /// <summary>The version need that TorchSharp 0.107.0's native shim carries and Debian 12 cannot satisfy.</summary>
        public const string TorchSharpGlibcxxVersion = "GLIBCXX_3.4.32";

        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;
        private const int VerneedSize = 16;
        private const int VernauxSize = 16;

        /// <summary>
        /// True when <paramref name="libraryPath"/> (a libstdc++) defines <paramref name="version"/>, i.e. no patch is needed.
        /// </summary>
        public static bool LibraryDefinesVersion(string libraryPath, string version)
        {
            byte[] bytes = File.ReadAllBytes(libraryPath);
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            return IndexOf(bytes, needle) >= 0;
        }

        /// <summary>
        /// Finds the system libstdc++ the dynamic loader would use, looking in the standard library folders
        /// (multiarch first, as Debian's loader does). Returns null when none is found.
        /// </summary>
        public static string? FindSystemLibStdCxx()
        {
            string[] folders =
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib64", "/usr/lib64", "/lib", "/usr/lib",
            };
            foreach (string folder in folders)
            {
                string candidate = Path.Combine(folder, "libstdc++.so.6");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>
        /// Sets the weak bit on the version need named <paramref name="version"/> in <paramref name="path"/>.
        /// The file is replaced through a temporary file and a rename, so a hard link into the NuGet cache is
        /// never written through and a reader never sees a half-written library.
        /// </summary>
        /// <exception cref="InvalidDataException">The file is not a well-formed little-endian ELF64 file.</exception>
        public static ElfPatchOutcome MakeVersionNeedWeak(string path, string version)
        {
            byte[] image = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = MakeVersionNeedWeak(image, version, path);
            if (outcome != ElfPatchOutcome.Patched)
            {
                return outcome;
            }

            string temp = path + ".adrpo-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                // Copying first gives the temp file the original's permission bits; then its bytes are replaced.
                File.Copy(path, temp, overwrite: true);
                File.WriteAllBytes(temp, image);
                // File.Replace is rename(2) on Unix: atomic, and it swaps the directory entry instead of
                // writing into the inode that the NuGet cache may share with this output file.
                File.Replace(temp, path, null);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }

            return outcome;
        }

        /// <summary>Patches an in-memory ELF image; <paramref name="fileName"/> only names it in errors.</summary>
        public static ElfPatchOutcome MakeVersionNeedWeak(byte[] image, string version, string fileName)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F')
            {
                throw new InvalidDataException($"'{fileName}' is not an ELF file (missing the 0x7F 'ELF' magic).");
            }

            if (image[4] != 2 || image[5] != 1)
            {
                throw new InvalidDataException($"'{fileName}' is not a little-endian ELF64 file (class {image[4]}, data {image[5]}).");
            }

            ulong sectionTable = ReadU64(image, 40, fileName);
            ushort sectionEntrySize = ReadU16(image, 58, fileName);
            ushort sectionCount = ReadU16(image, 60, fileName);
            if (sectionEntrySize < 64)
            {
                throw new InvalidDataException($"'{fileName}' has section headers of {sectionEntrySize} bytes; ELF64 needs 64.");
            }

            for (int s = 0; s < sectionCount; s++)
            {
                int header = Checked(sectionTable + ((ulong)s * sectionEntrySize), 64, image, fileName);
                if (ReadU32(image, header + 4, fileName) != ShtGnuVerneed)
                {
                    continue;
                }

                int needOffset = Checked(ReadU64(image, header + 24, fileName), 0, image, fileName);
                uint needCount = ReadU32(image, header + 44, fileName);
                uint stringSection = ReadU32(image, header + 40, fileName);
                int strings = StringTableOffset(image, sectionTable, sectionEntrySize, sectionCount, stringSection, fileName);
                return PatchNeeds(image, needOffset, needCount, strings, version, fileName);
            }

            return ElfPatchOutcome.NotNeeded;
        }

        private static ElfPatchOutcome PatchNeeds(byte[] image, int needOffset, uint needCount, int strings, string version, string fileName)
        {
            int need = needOffset;
            for (uint n = 0; n < needCount; n++)
            {
                Checked((ulong)need, VerneedSize, image, fileName);
                ushort auxCount = ReadU16(image, need + 2, fileName);
                int aux = need + (int)ReadU32(image, need + 8, fileName);
                for (int a = 0; a < auxCount; a++)
                {
                    Checked((ulong)aux, VernauxSize, image, fileName);
                    string name = ReadCString(image, strings + (int)ReadU32(image, aux + 8, fileName), fileName);
                    if (name == version)
                    {
                        ushort flags = ReadU16(image, aux + 4, fileName);
                        if ((flags & VerFlgWeak) != 0)
                        {
                            return ElfPatchOutcome.AlreadyWeak;
                        }

                        flags |= VerFlgWeak;
                        image[aux + 4] = (byte)(flags & 0xff);
                        image[aux + 5] = (byte)(flags >> 8);
                        return ElfPatchOutcome.Patched;
                    }

                    aux += (int)ReadU32(image, aux + 12, fileName);
                }

                uint next = ReadU32(image, need + 12, fileName);
                if (next == 0)
                {
                    break;
                }

                need += (int)next;
            }

            return ElfPatchOutcome.NotNeeded;
        }

        private static int StringTableOffset(byte[] image, ulong sectionTable, ushort entrySize, ushort count, uint index, string fileName)
        {
            if (index >= count)
            {
                throw new InvalidDataException($"'{fileName}': .gnu.version_r links to section {index}, but there are only {count}.");
            }

            int header = Checked(sectionTable + ((ulong)index * entrySize), 64, image, fileName);
            return Checked(ReadU64(image, header + 24, fileName), 0, image, fileName);
        }

        private static int Checked(ulong offset, int length, byte[] image, string fileName)
        {
            if (offset > (ulong)image.Length || (ulong)image.Length - offset < (ulong)length)
            {
                throw new InvalidDataException($"'{fileName}' is truncated or corrupt: offset {offset} (+{length} bytes) lies outside its {image.Length} bytes.");
            }

            return (int)offset;
        }

        private static ushort ReadU16(byte[] b, int o, string f)
        {
            Checked((ulong)o, 2, b, f);
            return (ushort)(b[o] | (b[o + 1] << 8));
        }

        private static uint ReadU32(byte[] b, int o, string f)
        {
            Checked((ulong)o, 4, b, f);
            return (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        }

        private static ulong ReadU64(byte[] b, int o, string f) => ReadU32(b, o, f) | ((ulong)ReadU32(b, o + 4, f) << 32);

        private static string ReadCString(byte[] b, int o, string f)
        {
            int end = o;
            while (end < b.Length && b[end] != 0)
            {
                end++;
            }

            if (end >= b.Length)
            {
                throw new InvalidDataException($"'{f}' has an unterminated string at offset {o}.");
            }

            return Encoding.ASCII.GetString(b, o, end - o);
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j])
                {
                    j++;
                }

                if (j == needle.Length)
                {
                    return i;
                }
            }

            return -1;
        }
    }

#if !ADRPO_LIBRARY
    /// <summary>MSBuild task: patches libLibTorchSharp.so copies in an output or publish folder.</summary>
    public class AdrpoPatchTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        /// <summary>Files to patch (those that do not exist are skipped).</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>libstdc++ to test; empty means the system one.</summary>
        public string LibStdCxxPath { get; set; } = string.Empty;

        /// <inheritdoc />
        public override bool Execute()
        {
            string? libstdcxx = string.IsNullOrEmpty(LibStdCxxPath) ? ElfVersionNeedPatcher.FindSystemLibStdCxx() : LibStdCxxPath;
            if (libstdcxx == null || !File.Exists(libstdcxx))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "Adrpo: no libstdc++.so.6 found ('{0}'); TorchSharp native patch skipped.", libstdcxx ?? "system folders");
                return true;
            }

            if (ElfVersionNeedPatcher.LibraryDefinesVersion(libstdcxx, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "Adrpo: {0} defines {1}; TorchSharp native patch not needed.", libstdcxx, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion);
                return true;
            }

            foreach (var item in Files)
            {
                string file = item.GetMetadata("FullPath");
                if (!File.Exists(file))
                {
                    continue;
                }

                try
                {
                    ElfPatchOutcome outcome = ElfVersionNeedPatcher.MakeVersionNeedWeak(file, ElfVersionNeedPatcher.TorchSharpGlibcxxVersion);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, "Adrpo: {0}: {1}", file, outcome);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError("Adrpo: could not patch '{0}' for {1}: {2} Set AdrpoPatchTorchSharpNative=false to skip this step.", file, libstdcxx, e.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }
    }
#endif
}
