using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Dat;

/// <summary>
/// The .dat checksum: a 64-bit multiply-rotate hash over little-endian 64-bit words with four
/// independent lanes, so loading a multi-megabyte profile verifies at memory speed (one serial
/// multiply chain would be ~4x slower). The checksum field itself is hashed as zero.
/// It detects corruption; it is not a defence against a hostile file (validation is).
/// </summary>
internal static class DatChecksum
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;

    /// <summary>Hash of a whole image (length a multiple of 8) with bytes 24..31 taken as zero.</summary>
    public static ulong Compute(ReadOnlySpan<byte> image)
    {
        if (image.Length % 8 != 0 || image.Length < DatLayout.HeaderSize)
            throw new ArgumentException("image length must be a multiple of 8 and hold a header");
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(image);
        ulong v0 = unchecked(P1 + P2), v1 = P2, v2 = 0, v3 = unchecked(0UL - P1);
        int n = words.Length;
        int i = 0;
        const int checksumWord = DatLayout.OffChecksum / 8;
        for (; i + 4 <= n; i += 4)
        {
            ulong w0 = Le(words[i]), w1 = Le(words[i + 1]), w2 = Le(words[i + 2]), w3 = Le(words[i + 3]);
            if (i == 0) w3 = 0; // word 3 is the checksum field
            v0 = Round(v0, w0); v1 = Round(v1, w1); v2 = Round(v2, w2); v3 = Round(v3, w3);
        }
        _ = checksumWord; // the header is 8 words, so the field is always inside the first block
        ulong h = BitOperations.RotateLeft(v0, 1) + BitOperations.RotateLeft(v1, 7)
                + BitOperations.RotateLeft(v2, 12) + BitOperations.RotateLeft(v3, 18);
        for (; i < n; i++) h = Round(h, Le(words[i])) * P3;
        h += (ulong)image.Length;
        h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong w) => BitOperations.RotateLeft(acc + w * P2, 31) * P1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Le(ulong w) => BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);
}
