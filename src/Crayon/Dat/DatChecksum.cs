using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Dat;

/// <summary>
/// The .dat checksum: eight independent lanes over little-endian 64-bit words, one multiply per word
/// (lane = rotl((lane + w) · P1, 29)), so a multi-megabyte profile verifies at close to one word per
/// cycle; a single serial chain, or two multiplies per word, measured 2–4x slower at load.
/// The checksum field itself (bytes 24..31) is hashed as zero. It detects corruption; it is not a
/// defence against a hostile file (validation is).
/// </summary>
internal static class DatChecksum
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;

    /// <summary>Hash of a whole image (length a multiple of 8, at least the header) with bytes 24..31 taken as zero.</summary>
    public static ulong Compute(ReadOnlySpan<byte> image)
    {
        if (image.Length % 8 != 0 || image.Length < DatLayout.HeaderSize)
            throw new ArgumentException("image length must be a multiple of 8 and hold a header");
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(image);
        int n = words.Length;
        ulong v0 = 0, v1 = P1, v2 = P2, v3 = P3, v4 = 1, v5 = P1 + 1, v6 = P2 + 1, v7 = P3 + 1;
        // The first block (the header) with the checksum word (index 3) as zero.
        v0 = Lane(v0, Le(words[0])); v1 = Lane(v1, Le(words[1])); v2 = Lane(v2, Le(words[2])); v3 = Lane(v3, 0);
        v4 = Lane(v4, Le(words[4])); v5 = Lane(v5, Le(words[5])); v6 = Lane(v6, Le(words[6])); v7 = Lane(v7, Le(words[7]));
        int i = 8;
        ref ulong w = ref MemoryMarshal.GetReference(words);
        for (; i + 8 <= n; i += 8)
        {
            v0 = Lane(v0, Le(Unsafe.Add(ref w, i)));     v1 = Lane(v1, Le(Unsafe.Add(ref w, i + 1)));
            v2 = Lane(v2, Le(Unsafe.Add(ref w, i + 2))); v3 = Lane(v3, Le(Unsafe.Add(ref w, i + 3)));
            v4 = Lane(v4, Le(Unsafe.Add(ref w, i + 4))); v5 = Lane(v5, Le(Unsafe.Add(ref w, i + 5)));
            v6 = Lane(v6, Le(Unsafe.Add(ref w, i + 6))); v7 = Lane(v7, Le(Unsafe.Add(ref w, i + 7)));
        }
        ulong h = (ulong)image.Length * P3;
        h = Mix(h, v0); h = Mix(h, v1); h = Mix(h, v2); h = Mix(h, v3);
        h = Mix(h, v4); h = Mix(h, v5); h = Mix(h, v6); h = Mix(h, v7);
        for (; i < n; i++) h = Mix(h, Le(words[i]));
        h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Lane(ulong lane, ulong w) => BitOperations.RotateLeft(unchecked((lane + w) * P1), 29);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong v) => unchecked(BitOperations.RotateLeft(h ^ (v * P2), 27) * P1 + P3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Le(ulong w) => BitConverter.IsLittleEndian ? w : BinaryPrimitives.ReverseEndianness(w);
}
