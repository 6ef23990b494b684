using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Crayon.PreTokenize;

/// <summary>The two GPT-4-style split patterns <see cref="Gpt4AsciiStarts"/> knows.</summary>
internal enum GptPattern
{
    /// <summary>cl100k_base's (<see cref="Gpt4Splitter"/>), and its digit-run variants.</summary>
    Gpt4,
    /// <summary>o200k_base's (<see cref="O200kSplitter"/>): words also break where a capital follows
    /// a small letter, and a contraction ends the word before it instead of starting a piece.</summary>
    O200k,
}

/// <summary>
/// The piece starts of the GPT-4-style patterns (<see cref="GptPattern"/>) over ASCII text, 64 bytes
/// at a time: one bit per byte in 64-bit masks, computed from the bytes' classes with no branch per
/// piece. On ASCII the GPT-4 pattern's alternatives reduce to rules on a byte and its neighbours:
/// <list type="bullet">
/// <item>a contraction (' then s, d, m, t, ll, ve or re, in any case) where a piece may start: not
///   after a symbol or a space. The byte after it starts a piece;</item>
/// <item>a letter run starts a piece, unless the byte before it joins it: a white-space byte other
///   than \r or \n, or a symbol alone (no symbol or space before it, and no contraction);</item>
/// <item>a digit run is cut into pieces of <c>maxDigits</c> from its first digit;</item>
/// <item>a symbol run starts a piece, at the space before it if there is one, and the piece takes the
///   \r and \n right after it;</item>
/// <item>a white-space run (after those \r and \n) starts a piece. So do the byte after its last \r or
///   \n, and its last byte when a letter, digit or symbol follows.</item>
/// </list>
/// o200k_base's pattern differs in three rules: a capital after a small letter starts a piece; a
/// contraction is one only right after a letter, where it ends that letter's piece (a piece starts
/// after it, not at it); and a symbol piece takes the / that follow its \r and \n too. Checked
/// against both splitters on random text over every ASCII byte and on real text
/// (tests/Crayon.Tests/Bpe/Gpt4AsciiStartsTests.cs).
/// </summary>
internal static class Gpt4AsciiStarts
{
    /// <summary>The most bytes one call marks.</summary>
    public const int MaxBytes = 64 * MaxWords;

    /// <summary>The longest digit run piece this supports (the pattern's <c>\p{N}{1,k}</c>).</summary>
    public const int MaxDigits = 16;

    private const int MaxWords = 64;

    /// <summary>
    /// The vector width that classifies a block of 64 bytes: the widest the CPU runs (the library's
    /// AVX2 and AVX-512 builds take 256 and 512), or 0 for one byte at a time. The tests run every width.
    /// </summary>
    internal static int VectorBits = Vector512.IsHardwareAccelerated ? 512
        : Vector256.IsHardwareAccelerated ? 256
        : Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>
    /// Marks the piece starts of text[pos..end) in <paramref name="starts"/> (bit i of word i / 64 is
    /// byte pos + i), where text[pos..end) is ASCII and at most <see cref="MaxBytes"/> long, pos is a
    /// piece start, and text[pos − 1], if any, is ASCII. Returns how far the marks are exact: every
    /// mark below the returned position is a piece start and so is that position, which is end at the
    /// end of text. A mark at or after it may be wrong (it depends on what follows end). pos itself
    /// comes back when nothing but pos is known.
    /// </summary>
    // The class masks, word by word: word w's masks lie together (Width ulongs from w * Width), so the
    // rules reach every mask of a word and of its neighbours from one reference. Eleven separate
    // arrays needed a register or a stack slot each and the main loop spilled most of its values.
    private const int Let = 0, Dig = 1, Ws = 2, Nl = 3, Sp = 4, Sym = 5, Con = 6, Con3 = 7, NlAhead = 8, Up = 9, Sl = 10;
    private const int Width = 11;

    [SkipLocalsInit]   // the words used are cleared below: a 64-byte run does not pay for a 4 KiB one
    public static int Mark(ReadOnlySpan<byte> text, int pos, int end, int maxDigits, GptPattern pattern, Span<ulong> starts)
    {
        bool o200k = pattern == GptPattern.O200k;
        int n = end - pos;
        int words = (n + 63) >> 6;
        if ((uint)n > MaxBytes || starts.Length < words) throw new ArgumentOutOfRangeException(nameof(end));
        // word 0: the byte before pos (bit 63); word words + 1: after end
        Span<ulong> buf = stackalloc ulong[Width * (MaxWords + 2)];
        buf.Slice(0, Width * (words + 2)).Clear();
        ref ulong m = ref MemoryMarshal.GetReference(buf);

        ReadOnlySpan<byte> s = text.Slice(pos, n);
        for (int w = 0; w < words; w++)
        {
            int at = w << 6;
            ReadOnlySpan<byte> block = s.Slice(at, Math.Min(64, n - at));
            ref ulong c = ref Unsafe.Add(ref m, (w + 1) * Width);
            Classify(block, ref c, 0);
            ulong valid = block.Length == 64 ? ulong.MaxValue : (1UL << block.Length) - 1;
            Unsafe.Add(ref c, Sym) = ~(c | Unsafe.Add(ref c, Dig) | Unsafe.Add(ref c, Ws)) & valid;
        }
        if (pos > 0)
        {
            Classify(text.Slice(pos - 1, 1), ref m, 63);
            Unsafe.Add(ref m, Con) = 0;   // an apostrophe before pos is not a contraction in this range
            Unsafe.Add(ref m, Sym) = ~(m | Unsafe.Add(ref m, Dig) | Unsafe.Add(ref m, Ws)) & 1UL << 63;
        }

        // Contractions: apostrophes are rare, so each is looked at on its own, in order (in the whole
        // text, so that one at the end of the range is decided exactly). GPT-4: where a piece may start
        // (not after a symbol or a space). o200k: right after a word's letter, which is not the last
        // letter of a contraction (nor the byte before pos, which starts a piece).
        int wordLettersFrom = pos;
        for (int w = 1; w <= words; w++)
        {
            ref ulong c = ref Unsafe.Add(ref m, w * Width);
            ulong apostrophes = Unsafe.Add(ref c, Con);
            if (apostrophes == 0) continue;
            ulong blocked = o200k ? ~Prev(ref c, Let, 1) : Prev(ref c, Sym, 1) | Prev(ref c, Sp, 1);
            Unsafe.Add(ref c, Con) = 0;
            for (; apostrophes != 0; apostrophes &= apostrophes - 1)
            {
                int bit = BitOperations.TrailingZeroCount(apostrophes), at = pos + ((w - 1) << 6) + bit;
                if ((blocked >> bit & 1) != 0 || (o200k && at - 1 < wordLettersFrom)) continue;
                int length = Contraction.Length(text, at, ignoreCase: true);
                if (length == 0) continue;
                Unsafe.Add(ref c, Con) |= 1UL << bit;
                if (length == 3) Unsafe.Add(ref c, Con3) |= 1UL << bit;
                wordLettersFrom = at + length;
            }
        }

        // Backwards: the white-space bytes that have a \r or \n at or after them in their run (a bit
        // moves down k places when the k bytes it crosses are all white space).
        for (int w = words; w >= 1; w--)
        {
            ref ulong c = ref Unsafe.Add(ref m, w * Width);
            ulong run = Unsafe.Add(ref c, Ws), g = Unsafe.Add(ref c, Nl) | ((Unsafe.Add(ref c, Width + NlAhead) & 1) << 63 & run);
            for (int k = 1; k < 64; k <<= 1) { g |= (g >> k) & run; run &= run >> k; }
            Unsafe.Add(ref c, NlAhead) = g;
        }

        ulong digitCarry = 0, prevAbsorbed = 0;
        for (int w = 1; w <= words; w++)
        {
            ref ulong c = ref Unsafe.Add(ref m, w * Width);
            ulong l = c, d = Unsafe.Add(ref c, Dig), x = Unsafe.Add(ref c, Ws), r = Unsafe.Add(ref c, Nl);
            ulong o = Unsafe.Add(ref c, Sym);

            // A symbol piece takes the \r and \n right after it (GPT-4: [\r\n]*), or the \r, \n and /
            // (o200k: [\r\n/]*, so a / after such a newline is taken too): from a newline right after a
            // symbol to the end of the run of those bytes (a fill upwards, k places per step when the k
            // bytes it crosses are all in the run).
            ulong tail = o200k ? r | Unsafe.Add(ref c, Sl) : r;
            ulong absorbed = (r & Prev(ref c, Sym, 1) & ~(w == 1 ? 1UL : 0)) | ((prevAbsorbed >> 63) & tail & 1);
            if (absorbed != 0)
                for (ulong run = tail, k = 1; k < 64; k <<= 1)
                {
                    absorbed |= (absorbed << (int)k) & run;
                    run &= run << (int)k;
                }

            // Digits in pieces of maxDigits from each run's first (pos is a piece start, so a run that
            // goes on from before pos starts a piece there).
            ulong digits = 0;
            if (d != 0)
            {
                ulong full = d;
                for (int k = 1; k < maxDigits; k++) full &= Prev(ref c, Dig, k);
                digits = (d & ~Prev(ref c, Dig, 1)) | (w == 1 ? d & 1 : 0) | (digitCarry & full);
                for (ulong y = digits; y != 0;)
                {
                    y = (y << maxDigits) & full;
                    digits |= y;
                }
            }
            digitCarry = digits >> (64 - maxDigits);

            ulong con = Unsafe.Add(ref c, Con);
            ulong afterContraction = Prev(ref c, Con, 2) & ~Prev(ref c, Con3, 2) | Prev(ref c, Con3, 3);
            // The byte before a letter run joins it: white space other than \r \n, or a symbol that
            // starts a piece of its own (no symbol before it that is not taken by the piece before, no
            // space) and is not a contraction's apostrophe or taken itself.
            ulong absorbedBefore = (absorbed << 1) | (prevAbsorbed >> 63);
            ulong absorbedBefore2 = (absorbed << 2) | (prevAbsorbed >> 62);
            ulong alone = ~(Prev(ref c, Sym, 2) & ~absorbedBefore2) & ~Prev(ref c, Sp, 2);
            if (w == 1) alone |= 2;   // text[pos] starts a piece, whatever came before it
            ulong conBefore = Prev(ref c, Con, 1);
            ulong joins = (Prev(ref c, Ws, 1) & ~Prev(ref c, Nl, 1))
                          | (Prev(ref c, Sym, 1) & alone & ~conBefore & ~absorbedBefore);
            ulong letterBefore = Prev(ref c, Let, 1);
            ulong letters = l & ~letterBefore & ~joins & ~conBefore & ~Prev(ref c, Con, 2);
            // o200k: a capital after a small letter, unless it is a contraction's second letter ('vE)
            if (o200k) letters |= Unsafe.Add(ref c, Up) & letterBefore & ~Prev(ref c, Up, 1) & ~Prev(ref c, Con, 2);

            ulong symbols = ((o & ~Prev(ref c, Sym, 1) & ~Prev(ref c, Sp, 1)) | (Unsafe.Add(ref c, Sp) & Next(ref c, Sym, 1))) & ~absorbed;
            ulong contractions = con;
            if (o200k) { symbols &= ~contractions; contractions = 0; }   // inside the word's piece

            ulong ahead = Unsafe.Add(ref c, NlAhead), rest = x & ~ahead;
            ulong runs = x & ~Prev(ref c, Ws, 1) & ~absorbed;
            ulong afterAbsorbed = absorbedBefore & ~absorbed;
            prevAbsorbed = absorbed;
            ulong afterNewline = rest & Prev(ref c, NlAhead, 1) & Prev(ref c, Ws, 1);
            ulong last = rest & ~Next(ref c, Ws, 1) & (Next(ref c, Let, 1) | Next(ref c, Dig, 1) | Next(ref c, Sym, 1));

            starts[w - 1] = (letters | contractions | afterContraction | digits | symbols | runs | afterAbsorbed | afterNewline | last)
                            & (l | d | x | o);
        }
        starts[0] |= 1;
        if (end == text.Length) return end;

        // Not the end of text: the last byte's marks depend on the byte after it, and the marks in a
        // white-space run that reaches the end depend on the rest of the run.
        int bound = n - 1;
        while (bound > 0 && (Unsafe.Add(ref m, (((bound - 1) >> 6) + 1) * Width + Ws) >> ((bound - 1) & 63) & 1) != 0) bound--;
        return pos + LastMarkBelow(starts, bound);
    }

    /// <summary>The highest marked position below <paramref name="bound"/> (0 when only 0 is).</summary>
    private static int LastMarkBelow(ReadOnlySpan<ulong> starts, int bound)
    {
        if (bound <= 0) return 0;
        for (int w = (bound - 1) >> 6; w >= 0; w--)
        {
            ulong bits = starts[w];
            int top = bound - (w << 6);
            if (top < 64) bits &= (1UL << top) - 1;
            if (bits != 0) return (w << 6) + 63 - BitOperations.LeadingZeroCount(bits);
        }
        return 0;
    }

    /// <summary>Mask <paramref name="c"/> of word <paramref name="w"/> (at w), each bit moved up k places, the bits of the word before coming in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Prev(ref ulong w, int c, int k) => (Unsafe.Add(ref w, c) << k) | (Unsafe.Add(ref w, c - Width) >> (64 - k));

    /// <summary>Mask <paramref name="c"/> of word <paramref name="w"/>, each bit moved down k places, the bits of the word after coming in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(ref ulong w, int c, int k) => (Unsafe.Add(ref w, c) >> k) | (Unsafe.Add(ref w, c + Width) << (64 - k));

    /// <summary>
    /// Ors the class masks of up to 64 ASCII bytes into a word's masks (<paramref name="masks"/>, at
    /// Let, Up, Dig, Ws, Nl, Sp, Con and Sl), byte i at bit <paramref name="shift"/> + i (a block of
    /// 64 is a whole word, at shift 0).
    /// </summary>
    private static void Classify(ReadOnlySpan<byte> s, ref ulong masks, int shift)
    {
        if (s.Length == 64 && VectorBits == 512)
        {
            Classify(Vector512.Create(s), ref masks);
            return;
        }
        if (s.Length == 64 && VectorBits == 256)
        {
            for (int k = 0; k < 2; k++) Classify(Vector256.Create(s.Slice(k << 5, 32)), ref masks, k << 5);
            return;
        }
        if (s.Length == 64 && VectorBits == 128)
        {
            for (int k = 0; k < 4; k++) Classify(Vector128.Create(s.Slice(k << 4, 16)), ref masks, k << 4);
            return;
        }
        for (int i = 0; i < s.Length; i++)
        {
            byte b = s[i];
            ulong bit = 1UL << (shift + i);
            if ((uint)((b | 0x20) - 'a') < 26)
            {
                masks |= bit;
                if (b < 'a') Unsafe.Add(ref masks, Up) |= bit;
            }
            else if ((uint)(b - '0') < 10) Unsafe.Add(ref masks, Dig) |= bit;
            else if (b == ' ' || (uint)(b - 9) < 5)
            {
                Unsafe.Add(ref masks, Ws) |= bit;
                if (b == ' ') Unsafe.Add(ref masks, Sp) |= bit;
                else if (b is (byte)'\n' or (byte)'\r') Unsafe.Add(ref masks, Nl) |= bit;
            }
            else if (b == '\'') Unsafe.Add(ref masks, Con) |= bit;
            else if (b == '/') Unsafe.Add(ref masks, Sl) |= bit;
        }
    }

    // One vector's classes, the same rules at each width. Three copies, because Vector128, Vector256 and
    // Vector512 share no public interface (the runtime's ISimdVector is internal); the tests
    // run each copy (MarksAreTheSplittersStartsOnAsciiText at 512, 256 and 128 bits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(Vector512<byte> v, ref ulong masks)
    {
        Vector512<byte> isSpace = Vector512.Equals(v, Vector512.Create((byte)' '));
        masks |= Vector512.LessThan((v | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)26)).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Up) |= Vector512.LessThan(v - Vector512.Create((byte)'A'), Vector512.Create((byte)26)).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Dig) |= Vector512.LessThan(v - Vector512.Create((byte)'0'), Vector512.Create((byte)10)).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Sp) |= isSpace.ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Ws) |= (isSpace | Vector512.LessThan(v - Vector512.Create((byte)9), Vector512.Create((byte)5))).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Nl) |= (Vector512.Equals(v, Vector512.Create((byte)'\n')) | Vector512.Equals(v, Vector512.Create((byte)'\r'))).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Con) |= Vector512.Equals(v, Vector512.Create((byte)'\'')).ExtractMostSignificantBits();
        Unsafe.Add(ref masks, Sl) |= Vector512.Equals(v, Vector512.Create((byte)'/')).ExtractMostSignificantBits();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(Vector256<byte> v, ref ulong masks, int shift)
    {
        Vector256<byte> isSpace = Vector256.Equals(v, Vector256.Create((byte)' '));
        masks |= (ulong)Vector256.LessThan((v | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)26)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Up) |= (ulong)Vector256.LessThan(v - Vector256.Create((byte)'A'), Vector256.Create((byte)26)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Dig) |= (ulong)Vector256.LessThan(v - Vector256.Create((byte)'0'), Vector256.Create((byte)10)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Sp) |= (ulong)isSpace.ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Ws) |= (ulong)(isSpace | Vector256.LessThan(v - Vector256.Create((byte)9), Vector256.Create((byte)5))).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Nl) |= (ulong)(Vector256.Equals(v, Vector256.Create((byte)'\n')) | Vector256.Equals(v, Vector256.Create((byte)'\r'))).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Con) |= (ulong)Vector256.Equals(v, Vector256.Create((byte)'\'')).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Sl) |= (ulong)Vector256.Equals(v, Vector256.Create((byte)'/')).ExtractMostSignificantBits() << shift;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Classify(Vector128<byte> v, ref ulong masks, int shift)
    {
        Vector128<byte> isSpace = Vector128.Equals(v, Vector128.Create((byte)' '));
        masks |= (ulong)Vector128.LessThan((v | Vector128.Create((byte)0x20)) - Vector128.Create((byte)'a'), Vector128.Create((byte)26)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Up) |= (ulong)Vector128.LessThan(v - Vector128.Create((byte)'A'), Vector128.Create((byte)26)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Dig) |= (ulong)Vector128.LessThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)10)).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Sp) |= (ulong)isSpace.ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Ws) |= (ulong)(isSpace | Vector128.LessThan(v - Vector128.Create((byte)9), Vector128.Create((byte)5))).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Nl) |= (ulong)(Vector128.Equals(v, Vector128.Create((byte)'\n')) | Vector128.Equals(v, Vector128.Create((byte)'\r'))).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Con) |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'\'')).ExtractMostSignificantBits() << shift;
        Unsafe.Add(ref masks, Sl) |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'/')).ExtractMostSignificantBits() << shift;
    }
}
