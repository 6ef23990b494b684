using System.Numerics;
using System.Runtime.CompilerServices;
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

    /// <summary>When false, bytes are classified one by one (the tests run both ways).</summary>
    internal static bool UseVectors = Vector128.IsHardwareAccelerated;

    /// <summary>
    /// Marks the piece starts of text[pos..end) in <paramref name="starts"/> (bit i of word i / 64 is
    /// byte pos + i), where text[pos..end) is ASCII and at most <see cref="MaxBytes"/> long, pos is a
    /// piece start, and text[pos − 1], if any, is ASCII. Returns how far the marks are exact: every
    /// mark below the returned position is a piece start and so is that position, which is end at the
    /// end of text. A mark at or after it may be wrong (it depends on what follows end). pos itself
    /// comes back when nothing but pos is known.
    /// </summary>
    [SkipLocalsInit]   // the words used are cleared below: a 64-byte run does not pay for a 4 KiB one
    public static int Mark(ReadOnlySpan<byte> text, int pos, int end, int maxDigits, GptPattern pattern, Span<ulong> starts)
    {
        bool o200k = pattern == GptPattern.O200k;
        int n = end - pos;
        int words = (n + 63) >> 6;
        int stride = words + 2;   // word 0: the byte before pos (bit 63); word words + 1: after end
        Span<ulong> buf = stackalloc ulong[11 * (MaxWords + 2)];
        buf.Slice(0, 11 * stride).Clear();
        Span<ulong> let = buf.Slice(0, stride), dig = buf.Slice(stride, stride), ws = buf.Slice(2 * stride, stride);
        Span<ulong> nl = buf.Slice(3 * stride, stride), sp = buf.Slice(4 * stride, stride), sym = buf.Slice(5 * stride, stride);
        Span<ulong> con = buf.Slice(6 * stride, stride), con3 = buf.Slice(7 * stride, stride), nlAhead = buf.Slice(8 * stride, stride);
        Span<ulong> up = buf.Slice(9 * stride, stride), sl = buf.Slice(10 * stride, stride);   // capitals, slashes

        ReadOnlySpan<byte> s = text.Slice(pos, n);
        for (int w = 0; w < words; w++)
        {
            int at = w << 6;
            ReadOnlySpan<byte> block = s.Slice(at, Math.Min(64, n - at));
            Classify(block, out let[w + 1], out up[w + 1], out dig[w + 1], out ws[w + 1], out nl[w + 1], out sp[w + 1],
                     out con[w + 1], out sl[w + 1]);
            ulong valid = block.Length == 64 ? ulong.MaxValue : (1UL << block.Length) - 1;
            sym[w + 1] = ~(let[w + 1] | dig[w + 1] | ws[w + 1]) & valid;
        }
        if (pos > 0)
        {
            Classify(text.Slice(pos - 1, 1), out ulong l, out ulong u, out ulong d, out ulong x, out ulong r, out ulong p,
                     out _, out ulong z);
            let[0] = l << 63; up[0] = u << 63; dig[0] = d << 63; ws[0] = x << 63;
            nl[0] = r << 63; sp[0] = p << 63; sl[0] = z << 63;
            sym[0] = (~(l | d | x) & 1) << 63;
        }

        // Contractions: apostrophes are rare, so each is looked at on its own, in order (in the whole
        // text, so that one at the end of the range is decided exactly). GPT-4: where a piece may start
        // (not after a symbol or a space). o200k: right after a word's letter, which is not the last
        // letter of a contraction (nor the byte before pos, which starts a piece).
        int wordLettersFrom = pos;
        for (int w = 1; w <= words; w++)
        {
            ulong apostrophes = con[w], blocked = o200k ? ~Prev(let, w, 1) : Prev(sym, w, 1) | Prev(sp, w, 1);
            con[w] = 0;
            for (; apostrophes != 0; apostrophes &= apostrophes - 1)
            {
                int bit = BitOperations.TrailingZeroCount(apostrophes), at = pos + ((w - 1) << 6) + bit;
                if ((blocked >> bit & 1) != 0 || (o200k && at - 1 < wordLettersFrom)) continue;
                int length = Contraction.Length(text, at, ignoreCase: true);
                if (length == 0) continue;
                con[w] |= 1UL << bit;
                if (length == 3) con3[w] |= 1UL << bit;
                wordLettersFrom = at + length;
            }
        }

        // Backwards: the white-space bytes that have a \r or \n at or after them in their run (a bit
        // moves down k places when the k bytes it crosses are all white space).
        for (int w = words; w >= 1; w--)
        {
            ulong run = ws[w], g = nl[w] | ((nlAhead[w + 1] & 1) << 63 & run);
            for (int k = 1; k < 64; k <<= 1) { g |= (g >> k) & run; run &= run >> k; }
            nlAhead[w] = g;
        }

        ulong digitCarry = 0, prevAbsorbed = 0;
        for (int w = 1; w <= words; w++)
        {
            ulong l = let[w], d = dig[w], x = ws[w], r = nl[w], p = sp[w], o = sym[w];

            // A symbol piece takes the \r and \n right after it (GPT-4: [\r\n]*), or the \r, \n and /
            // (o200k: [\r\n/]*, so a / after such a newline is taken too): from a newline right after a
            // symbol to the end of the run of those bytes (a fill upwards, k places per step when the k
            // bytes it crosses are all in the run).
            ulong tail = o200k ? r | sl[w] : r;
            ulong absorbed = (r & Prev(sym, w, 1) & ~(w == 1 ? 1UL : 0)) | ((prevAbsorbed >> 63) & tail & 1);
            for (ulong run = tail, k = 1; k < 64; k <<= 1)
            {
                absorbed |= (absorbed << (int)k) & run;
                run &= run << (int)k;
            }

            // Digits in pieces of maxDigits from each run's first (pos is a piece start, so a run that
            // goes on from before pos starts a piece there).
            ulong full = d;
            for (int k = 1; k < maxDigits; k++) full &= Prev(dig, w, k);
            ulong digits = (d & ~Prev(dig, w, 1)) | (w == 1 ? d & 1 : 0) | (digitCarry & full);
            for (ulong y = digits; y != 0;)
            {
                y = (y << maxDigits) & full;
                digits |= y;
            }
            digitCarry = digits >> (64 - maxDigits);

            ulong afterContraction = Prev(con, w, 2) & ~Prev(con3, w, 2) | Prev(con3, w, 3);
            // The byte before a letter run joins it: white space other than \r \n, or a symbol that
            // starts a piece of its own (no symbol before it that is not taken by the piece before, no
            // space) and is not a contraction's apostrophe or taken itself.
            ulong absorbedBefore = (absorbed << 1) | (prevAbsorbed >> 63);
            ulong absorbedBefore2 = (absorbed << 2) | (prevAbsorbed >> 62);
            ulong alone = ~(Prev(sym, w, 2) & ~absorbedBefore2) & ~Prev(sp, w, 2);
            if (w == 1) alone |= 2;   // text[pos] starts a piece, whatever came before it
            ulong joins = (Prev(ws, w, 1) & ~Prev(nl, w, 1))
                          | (Prev(sym, w, 1) & alone & ~Prev(con, w, 1) & ~absorbedBefore);
            ulong letters = l & ~Prev(let, w, 1) & ~joins & ~Prev(con, w, 1) & ~Prev(con, w, 2);
            // o200k: a capital after a small letter, unless it is a contraction's second letter ('vE)
            if (o200k) letters |= up[w] & Prev(let, w, 1) & ~Prev(up, w, 1) & ~Prev(con, w, 2);

            ulong symbols = ((o & ~Prev(sym, w, 1) & ~Prev(sp, w, 1)) | (p & Next(sym, w, 1))) & ~absorbed;
            ulong contractions = con[w];
            if (o200k) { symbols &= ~contractions; contractions = 0; }   // inside the word's piece

            ulong ahead = nlAhead[w], rest = x & ~ahead;
            ulong runs = x & ~Prev(ws, w, 1) & ~absorbed;
            ulong afterAbsorbed = absorbedBefore & ~absorbed;
            prevAbsorbed = absorbed;
            ulong afterNewline = rest & Prev(nlAhead, w, 1) & Prev(ws, w, 1);
            ulong last = rest & ~Next(ws, w, 1) & (Next(let, w, 1) | Next(dig, w, 1) | Next(sym, w, 1));

            starts[w - 1] = (letters | contractions | afterContraction | digits | symbols | runs | afterAbsorbed | afterNewline | last)
                            & (l | d | x | o);
        }
        starts[0] |= 1;
        if (end == text.Length) return end;

        // Not the end of text: the last byte's marks depend on the byte after it, and the marks in a
        // white-space run that reaches the end depend on the rest of the run.
        int bound = n - 1;
        while (bound > 0 && (ws[((bound - 1) >> 6) + 1] >> ((bound - 1) & 63) & 1) != 0) bound--;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Prev(Span<ulong> a, int w, int k) => (a[w] << k) | (a[w - 1] >> (64 - k));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Next(Span<ulong> a, int w, int k) => (a[w] >> k) | (a[w + 1] << (64 - k));

    /// <summary>The class masks of up to 64 ASCII bytes.</summary>
    private static void Classify(ReadOnlySpan<byte> s, out ulong letters, out ulong capitals, out ulong digits, out ulong space,
                                 out ulong newlines, out ulong spaces, out ulong apostrophes, out ulong slashes)
    {
        letters = capitals = digits = space = newlines = spaces = apostrophes = slashes = 0;
        if (UseVectors && s.Length == 64)
        {
            for (int k = 0; k < 4; k++)
            {
                Vector128<byte> v = Vector128.Create(s.Slice(k << 4, 16));
                Vector128<byte> lower = v | Vector128.Create((byte)0x20);
                int shift = k << 4;
                letters |= (ulong)Vector128.LessThan(lower - Vector128.Create((byte)'a'), Vector128.Create((byte)26)).ExtractMostSignificantBits() << shift;
                capitals |= (ulong)Vector128.LessThan(v - Vector128.Create((byte)'A'), Vector128.Create((byte)26)).ExtractMostSignificantBits() << shift;
                digits |= (ulong)Vector128.LessThan(v - Vector128.Create((byte)'0'), Vector128.Create((byte)10)).ExtractMostSignificantBits() << shift;
                Vector128<byte> isSpace = Vector128.Equals(v, Vector128.Create((byte)' '));
                spaces |= (ulong)isSpace.ExtractMostSignificantBits() << shift;
                space |= (ulong)(isSpace | Vector128.LessThan(v - Vector128.Create((byte)9), Vector128.Create((byte)5))).ExtractMostSignificantBits() << shift;
                newlines |= (ulong)(Vector128.Equals(v, Vector128.Create((byte)'\n')) | Vector128.Equals(v, Vector128.Create((byte)'\r'))).ExtractMostSignificantBits() << shift;
                apostrophes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'\'')).ExtractMostSignificantBits() << shift;
                slashes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'/')).ExtractMostSignificantBits() << shift;
            }
            return;
        }
        for (int i = 0; i < s.Length; i++)
        {
            byte b = s[i];
            ulong bit = 1UL << i;
            if ((uint)((b | 0x20) - 'a') < 26)
            {
                letters |= bit;
                if (b < 'a') capitals |= bit;
            }
            else if ((uint)(b - '0') < 10) digits |= bit;
            else if (b == ' ' || (uint)(b - 9) < 5)
            {
                space |= bit;
                if (b == ' ') spaces |= bit;
                else if (b is (byte)'\n' or (byte)'\r') newlines |= bit;
            }
            else if (b == '\'') apostrophes |= bit;
            else if (b == '/') slashes |= bit;
        }
    }
}
