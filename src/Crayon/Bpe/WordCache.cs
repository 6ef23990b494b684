using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Crayon.Bpe;

/// <summary>
/// The BPE of pieces of 9 to 16 bytes, up to four ids each: the piece cache's front tier
/// (<see cref="PieceCache.Words"/>), small enough to stay in the CPU's caches, and read in line by
/// the marked-piece loop (<see cref="BpeEncoding"/>). Such pieces are mostly long words after a space:
/// 6–10 % of the pieces of English, code and e-mail, more of multilingual text. The rank cache
/// holds keys of at most eight bytes, so each of them used to leave that loop for the piece cache,
/// four cache lines of an 8 MiB table.
/// <para>
/// 16 Ki sets of one 64-byte line, two 32-byte entries each (1 MiB): the key's first eight bytes
/// and its last eight moved down past the first (so zero-padded), exactly, then four id slots, -1
/// past the piece's last id. A key whose last byte is 0 is not kept, so the two words give back its
/// length; an empty entry (all zero) matches no key, whose second word is never 0. A new entry goes
/// first in its set and the one it displaces second.
/// </para>
/// <para>
/// A result of five to eight ids takes the whole line, as one wide entry: the key, then
/// <see cref="WideMark"/> where the first entry's first id would be (no id is negative), then the
/// eight id slots, -1 past the last. The second entry's key is then never compared: its place holds
/// ids. Multilingual text has many such pieces (CJK, Thai, Devanagari: a third of its pieces of 9 to
/// 16 bytes for cl100k_base), which otherwise missed here and then probed the piece cache too.
/// </para>
/// </summary>
/// <remarks>
/// Owned by one thread's <see cref="PieceCache"/>, bound to its table (cleared when it changes);
/// no locks and no sharing, so it cannot race. Entries are whole results of <see cref="BpeEncoding"/>
/// for exact keys, so a hit gives exactly what encoding the piece gives.
/// </remarks>
internal sealed class WordCache
{
    public const int MinBytes = 9;
    public const int MaxBytes = 16;

    /// <summary>The most ids a piece's entry holds (a wide one; a plain entry holds <see cref="NarrowIds"/>).</summary>
    public const int MaxIds = 8;

    private const int NarrowIds = 4;
    private const int WideMark = -2;
    private const int MarkAt = 4;                 // int slot of the line: the first entry's first id, or the mark
    private const int WideIdsAt = MarkAt + 1;     // a wide entry's first id
    private const int SecondEntryAt = 8;          // int slot where the second entry starts

    // 16 Ki sets (1 MiB) where there were 4 Ki (256 KiB): multilingual text has ~26k distinct pieces of
    // 9 to 16 bytes in 2 MB, which thrashed 8 Ki entries (36k stores a pass), and a miss here costs a
    // piece-cache probe, four lines that are rarely in any cache. Counted (cost_ab.py, 512 KiB L2):
    // multilingual 0.96x / 0.93x the instructions and 0.94x / 0.85x the L2 misses (cl100k / o200k),
    // English 0.99x both; timed from C (bpe_kinds_bench.py --driver c, three runs on a Zen 3 with
    // 512 KiB of L2): multilingual 1.06x / 1.16x, English 1.02x / 1.10x, code and e-mail 0.98-1.04x.
    private const int SetBits = 14;
    private const int SetWords = 8;                          // one 64-byte line
    private const int EntryWords = 4;
    private const ulong Multiplier0 = 0x9E3779B97F4A7C15UL;
    private const ulong Multiplier1 = 0xC2B2AE3D27D4EB4FUL;

    private readonly ulong[] _words;   // pinned, with one line of slack so that the sets start on a line
    private readonly int _first;       // the first set's first word

    internal unsafe WordCache()
    {
        _words = GC.AllocateArray<ulong>((SetWords << SetBits) + SetWords, pinned: true);
        nuint at = (nuint)Unsafe.AsPointer(ref _words[0]);
        _first = (int)((64 - (at & 63)) & 63) / sizeof(ulong);
    }

    /// <summary>Forgets every entry (for another table).</summary>
    public void Clear() => Array.Clear(_words);

    /// <summary>Whether the piece at <paramref name="text"/> + start, <paramref name="length"/> bytes, can be a key: 9 to 16 bytes, the last not 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(ref byte text, int start, int length) =>
        (uint)(length - MinBytes) <= MaxBytes - MinBytes && Unsafe.Add(ref text, start + length - 1) != 0;

    /// <inheritdoc cref="Fits(ref byte, int, int)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(ReadOnlySpan<byte> piece) => Fits(ref MemoryMarshal.GetReference(piece), 0, piece.Length);

    /// <summary>Adds the cached ids of a piece that <see cref="Fits(ReadOnlySpan{byte})"/>; false, adding nothing, when it is not cached.</summary>
    public bool TryWrite(ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        Span<int> ids = stackalloc int[MaxIds];
        int count = new Reader(this).TryWrite(ref MemoryMarshal.GetReference(piece), 0, piece.Length, ref ids[0]);
        output.AddRange(ids[..count]);
        return count != 0;
    }

    /// <summary>Keeps the ids of a piece that <see cref="Fits(ReadOnlySpan{byte})"/> (1 to <see cref="MaxIds"/> of them,
    /// none negative; others are not kept).</summary>
    public void Store(ReadOnlySpan<byte> piece, ReadOnlySpan<int> ids)
    {
        if ((uint)(ids.Length - 1) >= MaxIds) return;
        (ulong w0, ulong w1) = Key(ref MemoryMarshal.GetReference(piece), 0, piece.Length);
        ref ulong set = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), _first + SetOf(w0, w1) * SetWords);
        Span<int> line = MemoryMarshal.Cast<ulong, int>(MemoryMarshal.CreateSpan(ref set, SetWords));
        if (ids.Length > NarrowIds)
        {
            line[MarkAt..].Fill(-1);
            line[MarkAt] = WideMark;
            ids.CopyTo(line[WideIdsAt..]);
        }
        else
        {
            if (line[MarkAt] == WideMark) line[SecondEntryAt..].Clear();   // the wide entry's ids in the second entry's place leave with it
            else if (!Matches(ref set, w0, w1))
                for (int k = 0; k < EntryWords; k++) Unsafe.Add(ref set, EntryWords + k) = Unsafe.Add(ref set, k);
            Span<int> slots = line[MarkAt..SecondEntryAt];
            slots.Fill(-1);
            ids.CopyTo(slots);
        }
        set = w0;
        Unsafe.Add(ref set, 1) = w1;
    }

    /// <summary>
    /// The key's two words, read inside the piece (9 to 16 bytes): its first eight bytes, and its last
    /// eight moved down past them. The shift drops the bytes already in the first word only for
    /// little-endian reads, which every target NativeAOT builds this library for is (RankCache relies on the same).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong, ulong) Key(ref byte text, int start, int length)
    {
        ref byte at = ref Unsafe.Add(ref text, start);
        return (Unsafe.ReadUnaligned<ulong>(ref at),
                Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, length - 8)) >> ((16 - length) << 3));
    }

    /// <summary>The set a piece that <see cref="Fits(ReadOnlySpan{byte})"/> goes to (for the tests, which make keys collide).</summary>
    internal static int SetOf(ReadOnlySpan<byte> piece)
    {
        (ulong w0, ulong w1) = Key(ref MemoryMarshal.GetReference(piece), 0, piece.Length);
        return SetOf(w0, w1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SetOf(ulong w0, ulong w1) => (int)((w0 * Multiplier0 ^ w1 * Multiplier1) >> (64 - SetBits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Matches(ref ulong entry, ulong w0, ulong w1) => entry == w0 && Unsafe.Add(ref entry, 1) == w1;

    /// <summary>The cache as the marked-piece loop reads it: its sets taken once per run of pieces.</summary>
    internal readonly ref struct Reader(WordCache cache)
    {
        private readonly ref ulong _sets = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cache._words), cache._first);

        /// <summary>
        /// For a piece that <see cref="Fits(ref byte, int, int)"/>, at <paramref name="text"/> + start:
        /// writes its ids at <paramref name="dest"/> and returns how many, or returns 0 when the cache
        /// does not hold it. Writes up to <see cref="MaxIds"/> ids' room: the caller has room for one id
        /// per byte of the piece, at least nine.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int TryWrite(ref byte text, int start, int length, ref int dest)
        {
            (ulong w0, ulong w1) = Key(ref text, start, length);
            ref ulong e = ref Unsafe.Add(ref _sets, SetOf(w0, w1) * SetWords);
            ref int first = ref Unsafe.Add(ref Unsafe.As<ulong, int>(ref e), MarkAt);   // the first entry's first id, or the wide mark
            if (!Matches(ref e, w0, w1))
            {
                if (first == WideMark) return 0;
                e = ref Unsafe.Add(ref e, EntryWords);
                if (!Matches(ref e, w0, w1)) return 0;
            }
            else if (first == WideMark) return WriteWide(ref Unsafe.Add(ref first, WideIdsAt - MarkAt), ref dest);
            Vector128<int> ids = Vector128.LoadUnsafe(ref Unsafe.As<ulong, int>(ref Unsafe.Add(ref e, 2)));
            ids.StoreUnsafe(ref dest);
            return BitOperations.TrailingZeroCount(ids.ExtractMostSignificantBits() | 1u << NarrowIds);   // the slots past the last id hold -1
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int WriteWide(ref int ids, ref int dest)
        {
            Vector128<int> lo = Vector128.LoadUnsafe(ref ids), hi = Vector128.LoadUnsafe(ref Unsafe.Add(ref ids, 4));
            lo.StoreUnsafe(ref dest);
            hi.StoreUnsafe(ref Unsafe.Add(ref dest, 4));
            return BitOperations.TrailingZeroCount(lo.ExtractMostSignificantBits() | hi.ExtractMostSignificantBits() << 4 | 1u << MaxIds);
        }
    }
}
