using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using T = Crayon.Normalization.NfcTables;

namespace Crayon.Normalization;

/// <summary>
/// Unicode Normalization Form C (UAX #15) over UTF-8 bytes, for profiles that expect NFC text.
/// <para>
/// Why our own: libcrayon.so runs with InvariantGlobalization, where .NET's string.Normalize is a
/// silent no-op (it returns its input, and IsNormalized says true). The tables come from Python's
/// unicodedata (NfcTables.cs, generate_nfc_tables.py); Hangul syllables are computed.
/// </para>
/// <para>
/// Cost: all-ASCII text is one vectorised scan and nothing else (ASCII is always NFC). Other text
/// is quick-checked a code point at a time (two table reads; ASCII runs are skipped vectorised); a
/// segment — a starter that nothing before it can combine with, up to the next one — is
/// normalised only when the quick check says it may change (NFC_QC No/Maybe, or combining marks
/// out of order), in stack scratch, and the text is copied only when a segment really changed.
/// So NFC text, ASCII or not, is tokenized in place; only text that changes pays for one copy.
/// </para>
/// <para>
/// Invalid UTF-8 (a byte sequence <see cref="Rune.DecodeFromUtf8"/> rejects: stray continuation
/// bytes, overlong forms, surrogates, truncated sequences) is passed through unchanged and ends
/// the segment before it: only the valid runs between invalid bytes are normalised, each on its
/// own, so no byte is ever dropped and a mark after an invalid byte never combines across it.
/// </para>
/// </summary>
internal static unsafe class Nfc
{
    // A code point in the scratch buffer: bits 0-20 the code point, 21-28 its combining class,
    // bit 29 "may combine with a previous character" (NFC_QC Maybe).
    private const int CpMask = 0x1F_FFFF;
    private const int CccShift = 21;
    private const int MaybeBit = 1 << 29;

    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    /// <summary>Segments up to this many bytes are normalised in stack scratch (ArrayPool above).</summary>
#if DEBUG
    private const int StackSegmentBytes = 8;   // small in Debug so the tests reach both paths
#else
    private const int StackSegmentBytes = 128;
#endif

    /// <summary>Runs of combining marks longer than this are ordered with a sort instead of insertion.</summary>
    private const int InsertionSortMax = 32;

    /// <summary>
    /// NFC of text[0..length). Returns the text itself when it is already NFC (no copy), else a
    /// normalised copy the caller disposes. At most 2^31 − 1 bytes (ArgumentException beyond).
    /// </summary>
    public static NormalizedText Normalize(byte* text, long length)
    {
        if (length > int.MaxValue)
            throw new ArgumentException($"text of {length} bytes is too long for an NFC profile (at most 2^31 - 1 bytes per text)");
        var src = new ReadOnlySpan<byte>(text, (int)length);
        int pos = src.IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
        if (pos < 0) return new NormalizedText(text, length, owned: false);   // ASCII: nothing to do
        return NormalizeFrom(text, src, pos);
    }

    /// <summary>NFC of a byte array (a copy only when something changes); for building and tests.</summary>
    public static byte[] Normalize(byte[] text)
    {
        fixed (byte* p = text)
        {
            using NormalizedText n = Normalize(p, text.Length);
            return n.IsCopy ? n.Span.ToArray() : text;
        }
    }

    /// <summary>True when text is already NFC (invalid bytes aside): what Normalize leaves untouched.</summary>
    public static bool IsNormalized(ReadOnlySpan<byte> text)
    {
        fixed (byte* p = text)
        {
            using NormalizedText n = Normalize(p, text.Length);
            return !n.IsCopy;
        }
    }

    private static NormalizedText NormalizeFrom(byte* text, ReadOnlySpan<byte> src, int pos)
    {
        var output = new Output(src);
        try
        {
            Scan(text, src, pos, ref output);
            return output.Finish(text);
        }
        catch
        {
            output.Free();
            throw;
        }
    }

    /// <summary>
    /// The quick check (UAX #15 §9) from pos, the first non-ASCII byte, to the end: each segment
    /// that may change goes to <see cref="Output.Segment"/>. (Apart from the try block, so that the
    /// loop's locals stay in registers.)
    /// </summary>
    private static void Scan(byte* text, ReadOnlySpan<byte> src, int pos, ref Output output)
    {
        // segStart is the last boundary: the ASCII character before pos may compose with what
        // follows (e + U+0301), so it starts one.
        int segStart = pos - 1 < 0 ? 0 : pos - 1;
        bool dirty = false;
        int lastCcc = 0;
        while (pos < src.Length)
        {
            if (src[pos] < 0x80)
            {
                // ASCII is a boundary: end the segment, then skip the run vectorised.
                if (dirty) { output.Segment(segStart, pos); dirty = false; }
                int k = src.Slice(pos).IndexOfAnyExceptInRange((byte)0, (byte)0x7F);
                if (k < 0) break;
                pos += k;
                segStart = pos - 1;
                lastCcc = 0;
                continue;
            }
            int cp = Decode(text + pos, src.Length - pos, out int used);
            if (cp < 0)
            {
                // Invalid or truncated UTF-8: passed through, and a segment boundary on both sides.
                if (dirty) { output.Segment(segStart, pos); dirty = false; }
                pos += used;
                segStart = pos;
                lastCcc = 0;
                continue;
            }
            int p = Props(cp);
            int ccc = p & 0xFF;
            if ((p & (T.QcNo | T.QcMaybe | 0xFF)) == 0)
            {
                // A boundary: nothing before it combines with it or reorders past it.
                if (dirty) { output.Segment(segStart, pos); dirty = false; }
                segStart = pos;
            }
            else if ((p & (T.QcNo | T.QcMaybe)) != 0 || (ccc != 0 && lastCcc > ccc))
            {
                dirty = true;
            }
            lastCcc = ccc;
            pos += used;
        }
        if (dirty) output.Segment(segStart, src.Length);
    }

    /// <summary>
    /// The output, created on the first segment that really changes: src[.._copied] is already in
    /// it, the rest is appended lazily, so unchanged stretches cost one bulk copy.
    /// </summary>
    private ref struct Output(ReadOnlySpan<byte> src)
    {
        private readonly ReadOnlySpan<byte> _src = src;
        private int _copied;
        private byte* _data;
        private long _length, _capacity;

        /// <summary>Normalises src[start..end) (valid UTF-8, one or more segments) and replaces it when it changes.</summary>
        [SkipLocalsInit]
        public void Segment(int start, int end)
        {
            ReadOnlySpan<byte> seg = _src[start..end];
            // Scratch bounds (checked by the generator): 3 code points per 2 bytes, 3 bytes out per byte in.
            long cpsNeeded = seg.Length + (seg.Length >> 1) + 2, bytesNeeded = 3L * seg.Length;
            if (bytesNeeded > Array.MaxLength) throw new ArgumentException($"a run of {seg.Length} bytes without a starter is too long to normalise");
            int[]? rentedCps = null;
            byte[]? rentedBytes = null;
            try
            {
                Span<int> cps = seg.Length <= StackSegmentBytes
                    ? stackalloc int[StackSegmentBytes + (StackSegmentBytes >> 1) + 2]
                    : (rentedCps = ArrayPool<int>.Shared.Rent((int)cpsNeeded));
                Span<byte> bytes = seg.Length <= StackSegmentBytes
                    ? stackalloc byte[3 * StackSegmentBytes]
                    : (rentedBytes = ArrayPool<byte>.Shared.Rent((int)bytesNeeded));
                int n = NormalizeSegment(seg, cps, bytes);
                if (bytes.Slice(0, n).SequenceEqual(seg)) return;   // NFC already (a Maybe that stayed)
                Append(_src[_copied..start]);
                Append(bytes.Slice(0, n));
                _copied = end;
            }
            finally
            {
                if (rentedCps != null) ArrayPool<int>.Shared.Return(rentedCps);
                if (rentedBytes != null) ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }

        public NormalizedText Finish(byte* text)
        {
            if (_data == null) return new NormalizedText(text, _src.Length, owned: false);
            Append(_src[_copied..]);
            return new NormalizedText(_data, _length, owned: true);
        }

        public void Free()
        {
            if (_data != null) NativeMemory.Free(_data);
            _data = null;
        }

        private void Append(scoped ReadOnlySpan<byte> s)
        {
            if (_length + s.Length > _capacity)
            {
                // First: the input plus an eighth (NFC rarely grows text); then doubling.
                long want = Math.Max(_capacity == 0 ? _src.Length + (_src.Length >> 3) + 16 : 2 * _capacity, _length + s.Length);
                _data = (byte*)NativeMemory.Realloc(_data, (nuint)want);
                _capacity = want;
            }
            s.CopyTo(new Span<byte>(_data + _length, s.Length));
            _length += s.Length;
        }
    }

    /// <summary>NFC of one run of valid UTF-8 into bytes: decompose, order the marks, compose, encode.</summary>
    private static int NormalizeSegment(ReadOnlySpan<byte> seg, Span<int> cps, Span<byte> bytes)
    {
        int n = 0;
        for (int i = 0; i < seg.Length;)
        {
            Rune.DecodeFromUtf8(seg.Slice(i), out Rune r, out int used);   // valid: the scan checked it
            i += used;
            n = Decompose(r.Value, cps, n);
        }
        Span<int> s = cps.Slice(0, n);
        OrderMarks(s);
        n = Compose(s);
        int w = 0;
        for (int k = 0; k < n; k++) w += EncodeUtf8(cps[k] & CpMask, bytes.Slice(w));
        return w;
    }

    /// <summary>Appends the full canonical decomposition of cp (packed) at cps[n]; returns the new count.</summary>
    private static int Decompose(int cp, Span<int> cps, int n)
    {
        int s = cp - SBase;
        if ((uint)s < SCount)
        {
            cps[n++] = LBase + s / NCount;                                   // ccc 0, never Maybe
            cps[n++] = VBase + s % NCount / TCount | MaybeBit;
            if (s % TCount != 0) cps[n++] = TBase + s % TCount | MaybeBit;
            return n;
        }
        int p = Props(cp);
        if ((p & T.HasDecomposition) == 0)
        {
            cps[n++] = Pack(cp, p);
            return n;
        }
        int v = T.DecompValues[T.DecompKeys.BinarySearch(cp)];
        foreach (int d in T.DecompData.Slice(v >> 3, v & 7)) cps[n++] = Pack(d, Props(d));
        return n;
    }

    /// <summary>Canonical ordering: each run of non-starters sorted by combining class, stably.</summary>
    private static void OrderMarks(Span<int> cps)
    {
        int i = 0;
        while (i < cps.Length)
        {
            if (Ccc(cps[i]) == 0) { i++; continue; }
            int j = i + 1;
            while (j < cps.Length && Ccc(cps[j]) != 0) j++;
            if (j - i > 1) SortRun(cps.Slice(i, j - i));
            i = j;
        }
    }

    private static void SortRun(Span<int> run)
    {
        if (run.Length <= InsertionSortMax)
        {
            for (int i = 1; i < run.Length; i++)
            {
                int x = run[i], c = Ccc(x), j = i - 1;
                while (j >= 0 && Ccc(run[j]) > c) { run[j + 1] = run[j]; j--; }
                run[j + 1] = x;
            }
            return;
        }
        // Long runs (pathological text): sort (class, position) keys, then permute — O(n log n), stable.
        long[] keys = ArrayPool<long>.Shared.Rent(run.Length);
        int[] copy = ArrayPool<int>.Shared.Rent(run.Length);
        try
        {
            for (int i = 0; i < run.Length; i++) { keys[i] = (long)Ccc(run[i]) << 32 | (uint)i; copy[i] = run[i]; }
            keys.AsSpan(0, run.Length).Sort();
            for (int i = 0; i < run.Length; i++) run[i] = copy[(int)(uint)keys[i]];
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(copy);
        }
    }

    /// <summary>Canonical composition (UAX #15 §1.3, the sample code's loop) in place; returns the new length.</summary>
    private static int Compose(Span<int> cps)
    {
        if (cps.Length == 0) return 0;
        int starterPos = 0;
        int starter = cps[0];
        int lastClass = Ccc(starter) == 0 ? 0 : 256;   // a leading mark has no starter to join
        int w = 1;
        for (int r = 1; r < cps.Length; r++)
        {
            int ch = cps[r];
            int cls = Ccc(ch);
            // ch joins the last starter unless a character between them blocks it.
            if ((ch & MaybeBit) != 0 && (lastClass < cls || lastClass == 0))
            {
                int composite = ComposePair(starter & CpMask, ch & CpMask);
                if (composite >= 0)
                {
                    starter = composite;   // a composite is a starter that never combines backwards
                    cps[starterPos] = composite;
                    continue;
                }
            }
            if (cls == 0) { starterPos = w; starter = ch; }
            lastClass = cls;
            cps[w++] = ch;
        }
        return w;
    }

    /// <summary>The primary composite of a and b, or −1.</summary>
    private static int ComposePair(int a, int b)
    {
        int l = a - LBase, v = b - VBase;
        if ((uint)l < LCount && (uint)v < VCount) return SBase + (l * VCount + v) * TCount;
        int s = a - SBase, t = b - TBase;
        if ((uint)s < SCount && s % TCount == 0 && (uint)(t - 1) < TCount - 1) return a + t;
        int i = T.ComposeKeys.BinarySearch((long)a << 21 | (long)b);
        return i >= 0 ? T.ComposeValues[i] : -1;
    }

    /// <summary>
    /// The code point at p[0..left) (not ASCII) and its byte length, or −1 for an invalid or
    /// truncated sequence of <paramref name="used"/> bytes. Two- and three-byte forms inline (most
    /// scripts); four-byte forms and every error go through <see cref="Rune.DecodeFromUtf8"/>, whose
    /// rules (the maximal invalid subsequence) decide how many bytes an error covers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Decode(byte* p, int left, out int used)
    {
        uint b0 = p[0];
        if (b0 - 0xC2u <= 0xDFu - 0xC2u && left >= 2 && (p[1] & 0xC0) == 0x80)
        {
            used = 2;
            return (int)((b0 & 0x1F) << 6 | (p[1] & 0x3Fu));
        }
        if ((b0 & 0xF0) == 0xE0 && left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80)
        {
            int cp = (int)((b0 & 0x0F) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu));
            if (cp >= 0x800 && (cp & 0xF800) != 0xD800) { used = 3; return cp; }   // not overlong, not a surrogate
        }
        return DecodeOther(p, left, out used);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int DecodeOther(byte* p, int left, out int used) =>
        Rune.DecodeFromUtf8(new ReadOnlySpan<byte>(p, left), out Rune r, out used) == OperationStatus.Done ? r.Value : -1;

    /// <summary>The ushort of NfcTables for cp. The generator sizes the tables so that no index is out of range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Props(int cp)
    {
        if ((uint)cp >= T.Limit) return 0;
        ref ushort index = ref MemoryMarshal.GetReference(T.BlockIndex);
        ref ushort blocks = ref MemoryMarshal.GetReference(T.Blocks);
        return Unsafe.Add(ref blocks, Unsafe.Add(ref index, cp >> T.BlockBits) << T.BlockBits | (cp & ((1 << T.BlockBits) - 1)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Pack(int cp, int props) =>
        cp | (props & 0xFF) << CccShift | ((props & T.QcMaybe) != 0 ? MaybeBit : 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Ccc(int packed) => (packed >> CccShift) & 0xFF;

    private static int EncodeUtf8(int cp, Span<byte> dst)
    {
        if (cp < 0x80) { dst[0] = (byte)cp; return 1; }
        if (cp < 0x800) { dst[0] = (byte)(0xC0 | cp >> 6); dst[1] = (byte)(0x80 | cp & 0x3F); return 2; }
        if (cp < 0x10000)
        {
            dst[0] = (byte)(0xE0 | cp >> 12); dst[1] = (byte)(0x80 | (cp >> 6) & 0x3F); dst[2] = (byte)(0x80 | cp & 0x3F);
            return 3;
        }
        dst[0] = (byte)(0xF0 | cp >> 18); dst[1] = (byte)(0x80 | (cp >> 12) & 0x3F);
        dst[2] = (byte)(0x80 | (cp >> 6) & 0x3F); dst[3] = (byte)(0x80 | cp & 0x3F);
        return 4;
    }
    /// <summary>
    /// The last position c in (floor, text.Length) before which normalisation is final, whatever
    /// follows text: NFC(text[..c]) + NFC(text[c..] + more) == NFC(text + more). That holds before
    /// an ASCII byte and before a complete code point that nothing before it combines with or
    /// reorders past (NFC_QC Yes, combining class 0) — the boundaries <see cref="Scan"/> cuts
    /// segments at, so each side is normalised exactly as in the whole. Returns 0 when there is
    /// none above floor (the streaming session then waits for more text). Used by Streaming/.
    /// </summary>
    public static int LastSafeCut(ReadOnlySpan<byte> text, int floor)
    {
        for (int c = text.Length - 1; c > floor && c > 0; c--)
        {
            byte b = text[c];
            if (b < 0x80) return c;
            if (b < 0xC2) continue;   // a continuation byte, or a byte that never starts a character
            fixed (byte* p = &text[c])
            {
                int cp = Decode(p, text.Length - c, out _);
                if (cp >= 0 && (Props(cp) & (T.QcNo | T.QcMaybe | 0xFF)) == 0) return c;
            }
        }
        return 0;
    }
}
