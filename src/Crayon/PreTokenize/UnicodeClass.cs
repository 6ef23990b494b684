using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Crayon.PreTokenize;

/// <summary>
/// The Unicode classes the split patterns use, per code point, as one flag byte from a two-stage
/// table (4352 block indexes + the distinct 256-entry blocks, about 30 KiB). Built once from
/// <see cref="CharUnicodeInfo.GetUnicodeCategory(int)"/>, which works on code points, so letters and
/// numbers outside the Basic Multilingual Plane are classified like any other.
/// </summary>
/// <remarks>
/// The classes follow Rust's regex crate (tiktoken's engine): <c>\p{L}</c> = Lu|Ll|Lt|Lm|Lo,
/// <c>\p{N}</c> = Nd|Nl|No, <c>\s</c> = the Unicode White_Space property (not a general category:
/// it is listed explicitly below). Categories are Unicode 16.0, as in tiktoken's regex crate: the
/// runtime's tables, updated by <see cref="UnicodeUpdate"/> where .NET 9's are older.
/// </remarks>
internal sealed class UnicodeClass
{
    public const byte Letter = 1;       // \p{L}
    public const byte Number = 2;       // \p{N}
    public const byte Space = 4;        // \s (White_Space)
    public const byte Upperish = 8;     // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (o200k)
    public const byte Lowerish = 16;    // [\p{Ll}\p{Lm}\p{Lo}\p{M}]        (o200k)
    // A three-byte code point whose whole 64-code-point group (one lead and second byte) is letters of
    // both o200k classes (Lo, Lm): ideographs, Hangul syllables. After one, a splitter's run loop skips
    // the rest of such a run with ThreeByteRun instead of decoding each; other scripts pay one bit test.
    public const byte RunOfThree = 32;

    private const int BlockBits = 8;
    private const int BlockSize = 1 << BlockBits;
    private const int MaxCodePoint = 0x10FFFF;

    private readonly ushort[] _blockIndex;
    private readonly byte[] _blocks;
    // The code points of one and two UTF-8 bytes (Latin, Greek, Cyrillic, Hebrew, Arabic, …) in one
    // flat table: one load where the two-stage table needs two in a row.
    private const int FlatCount = 0x800;
    private readonly byte[] _flat = new byte[FlatCount];

    // Per three-byte UTF-8 prefix (lead E0–EF, second byte; the code point >> 6): the flags that all
    // 64 code points it starts share. A run of CJK ideographs or Hangul syllables is then skipped three
    // bytes per compare, without decoding (random CJK spent 13 % of its encode time decoding in the
    // splitter).
    private const int ThreeCount = 16 << 6;
    private readonly byte[] _three = new byte[ThreeCount];

    /// <summary>The flags of the 128 ASCII code points (for splitter loops that skip decoding).</summary>
    public ReadOnlySpan<byte> Ascii => _flat.AsSpan(0, 128);

    // No static constructor on purpose: NativeAOT would check class initialisation on every access
    // from the hot loops. Splitters keep a reference to the shared instance instead.
    private static UnicodeClass? s_shared;

    /// <summary>The table, built on first use (about 20 ms; a race builds it twice, harmlessly).</summary>
    public static UnicodeClass Shared => s_shared ??= new UnicodeClass();

    private UnicodeClass()
    {
        int nBlocks = (MaxCodePoint + 1) >> BlockBits;
        _blockIndex = new ushort[nBlocks];
        var distinct = new Dictionary<string, ushort>();
        var data = new List<byte>();
        var block = new byte[BlockSize];
        // The groups' shared classes first: the block table marks the code points of letter groups.
        for (int k = 0; k < ThreeCount; k++)
        {
            byte shared = 0xFF;
            for (int c = k << 6; c < (k + 1) << 6; c++) shared &= Compute(c);
            _three[k] = shared;
        }
        const byte bothLetter = Letter | Upperish | Lowerish;
        for (int b = 0; b < nBlocks; b++)
        {
            for (int k = 0; k < BlockSize; k++)
            {
                int cp = (b << BlockBits) | k;
                block[k] = Compute(cp);
                if (cp >= FlatCount && cp >> 6 < ThreeCount && (_three[cp >> 6] & bothLetter) == bothLetter) block[k] |= RunOfThree;
            }
            string key = Convert.ToBase64String(block);
            if (!distinct.TryGetValue(key, out ushort idx))
            {
                idx = (ushort)distinct.Count;
                distinct.Add(key, idx);
                data.AddRange(block);
            }
            _blockIndex[b] = idx;
        }
        _blocks = data.ToArray();
        for (int c = 0; c < FlatCount; c++) _flat[c] = Compute(c);
    }

    /// <summary>
    /// From <paramref name="j"/> in text validated as UTF-8, skips three-byte code points for as
    /// long as their whole 64-code-point group (one lead and second byte) has every flag in
    /// <paramref name="want"/>; returns where it stopped (j itself when the first does not qualify).
    /// What it skips the decoding loops would have taken too; where it stops they go on.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ThreeByteRun(ReadOnlySpan<byte> s, int j, byte want)
    {
        ref byte three = ref MemoryMarshal.GetArrayDataReference(_three);
        while (j < s.Length)
        {
            uint lead = (uint)s[j] - 0xE0;
            if (lead >= 16) break;
            // Valid UTF-8: a three-byte lead has its two continuation bytes.
            if ((Unsafe.Add(ref three, (nint)(lead << 6 | (s[j + 1] & 0x3Fu))) & want) != want) break;
            j += 3;
        }
        return j;
    }

    /// <summary>The flags of a code point (0 for unassigned, symbols, punctuation, controls).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Of(int cp)
    {
        if ((uint)cp < FlatCount) return _flat[cp];
        if ((uint)cp > MaxCodePoint) return 0;
        return _blocks[(_blockIndex[cp >> BlockBits] << BlockBits) | (cp & (BlockSize - 1))];
    }

    /// <summary>Rust's <c>\s</c>: the code points with the Unicode White_Space property.</summary>
    public static bool IsWhiteSpace(int cp) => cp switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    private static byte Compute(int cp)
    {
        if (cp is >= 0xD800 and <= 0xDFFF) return 0; // never reached: not valid UTF-8
        byte f = IsWhiteSpace(cp) ? Space : (byte)0;
        switch (UnicodeUpdate.Category(cp))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
                f |= Letter | Upperish; break;
            case UnicodeCategory.LowercaseLetter:
                f |= Letter | Lowerish; break;
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                f |= Letter | Upperish | Lowerish; break;
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
                f |= Upperish | Lowerish; break;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                f |= Number; break;
        }
        return f;
    }

    /// <summary>
    /// Skips ASCII letters (A–Z, a–z; with <paramref name="lowerOnly"/>, a–z) from <paramref name="j"/>
    /// sixteen bytes at a time while sixteen remain: returns the first byte that is not one, or where
    /// fewer than sixteen bytes are left (the caller's scalar loop goes on from there). One compare
    /// and a bit scan per 16 bytes replace a table load and a branch per byte, and the word's end is
    /// computed rather than found by a mispredicted loop exit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AsciiLetters(ReadOnlySpan<byte> s, int j, bool lowerOnly)
    {
        while (j <= s.Length - 16)
        {
            int k = AsciiLetters16(s, j, lowerOnly);
            if (k < 16) return j + k;
            j += 16;
        }
        return j;
    }

    /// <summary>How many of the 16 bytes at <paramref name="j"/> (which must exist) are ASCII letters before the first that is not (16: all are).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AsciiLetters16(ReadOnlySpan<byte> s, int j, bool lowerOnly)
    {
        Vector128<byte> v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)j);
        if (!lowerOnly) v |= Vector128.Create((byte)0x20);   // A–Z → a–z; no other byte lands in a–z
        Vector128<byte> letter = Vector128.LessThan(v - Vector128.Create((byte)'a'), Vector128.Create((byte)26));
        return BitOperations.TrailingZeroCount(~letter.ExtractMostSignificantBits() | 0x10000);
    }

    /// <summary>
    /// Decodes the code point at <paramref name="i"/> of text already validated as UTF-8, and its
    /// length in bytes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Decode(ReadOnlySpan<byte> s, int i, out int len)
    {
        uint b = s[i];
        if (b < 0x80) { len = 1; return (int)b; }
        if (b < 0xE0) { len = 2; return (int)(((b & 0x1F) << 6) | (s[i + 1] & 0x3Fu)); }
        if (b < 0xF0) { len = 3; return (int)(((b & 0x0F) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu)); }
        len = 4;
        return (int)(((b & 0x07) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu));
    }
}
