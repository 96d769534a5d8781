using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Adrpo.Tests.Imaging;

/// <summary>A PNG as read back by <see cref="PngTestDecoder"/>: header fields and interleaved 8-bit samples.</summary>
internal sealed record DecodedPng(int Width, int Height, int BitDepth, int ColorType, IReadOnlyList<string> Chunks, byte[] Samples)
{
    public int Channels => ColorType == 2 ? 3 : 1;

    public byte Sample(int x, int y, int channel) => Samples[(((y * Width) + x) * Channels) + channel];
}

/// <summary>
/// A minimal PNG reader written for the tests, independently of the encoder: it checks the signature, every
/// chunk's CRC (bitwise CRC-32, no table), the IHDR fields, and that every scanline uses filter 0.
/// </summary>
internal static class PngTestDecoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static DecodedPng Decode(byte[] png)
    {
        CollectionAssert.AreEqual(Signature, png.Take(8).ToArray(), "PNG signature");
        var chunks = new List<string>();
        using var idat = new MemoryStream();
        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        int at = 8;
        while (at < png.Length)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.AreEqual(Crc32(png.AsSpan(at + 4, 4 + length)), stored, $"CRC of {type}");
            chunks.Add(type);
            switch (type)
            {
                case "IHDR":
                    Assert.AreEqual(13, length);
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    colorType = data[9];
                    CollectionAssert.AreEqual(new byte[] { 0, 0, 0 }, data[10..13].ToArray(), "compression, filter, interlace");
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            at += 12 + length;
        }

        Assert.AreEqual(png.Length, at, "chunks end exactly at the end of the file");
        int channels = colorType == 2 ? 3 : 1;
        using var inflated = new MemoryStream();
        idat.Position = 0;
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        int rowBytes = 1 + (width * channels);
        Assert.HasCount(height * rowBytes, raw);
        var samples = new byte[width * height * channels];
        for (int y = 0; y < height; y++)
        {
            Assert.AreEqual(0, raw[y * rowBytes], $"filter byte of row {y}");
            Array.Copy(raw, (y * rowBytes) + 1, samples, y * width * channels, width * channels);
        }

        return new DecodedPng(width, height, bitDepth, colorType, chunks, samples);
    }

    public static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
