using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of the BPE of ASCII pieces of 9 to 16 bytes, up to four ids each, that the
/// marked-piece loop (<see cref="BpeEncoding"/>) reads in line. Such pieces are mostly long words
/// after a space, 6–10 % of the pieces of English, code and e-mail; the rank cache holds keys of at
/// most eight bytes, so each of them used to leave that loop for the piece cache (four cache lines
/// of an 8 MiB table, several calls and a mispredicted branch): ~15 % of English's time.
/// <para>
/// 4 Ki sets of one 64-byte line, two 32-byte entries each (256 KiB): the key's two 8-byte words
/// exactly (the second zero-padded past the key's end; a key whose last byte is 0 is not kept, so
/// the words give back its length), then four id slots. ASCII leaves each byte's top bit free: the
/// count of ids (minus one) is kept in the first word's top bits of bytes 0 and 1. An empty entry
/// (all zero) matches no key, whose second word is never 0. A new entry goes first in its set and
/// the one it displaces second.
/// </para>
/// </summary>
/// <remarks>
/// One cache per thread, bound to one table at a time (switching tables clears it); no locks and no
/// sharing, so it cannot race. Entries are whole results of <see cref="BpeEncoding"/> for exact keys,
/// so a hit gives exactly what encoding the piece gives.
/// </remarks>
internal sealed class WordCache
{
    public const int MinBytes = 9;
    public const int MaxBytes = 16;
    public const int MaxIds = 4;

    private const int SetBits = 12;
    private const int SetWords = 8;                          // one 64-byte line
    private const int EntryWords = 4;
    private const ulong CountBits = 0x8080UL;
    private const ulong Multiplier0 = 0x9E3779B97F4A7C15UL;
    private const ulong Multiplier1 = 0xC2B2AE3D27D4EB4FUL;

    [ThreadStatic] private static WordCache? t_cache;

    private readonly ulong[] _words;   // pinned, with one line of slack so that the sets start on a line
    private readonly int _first;       // the first set's first word
    private RankTable? _owner;

    private unsafe WordCache()
    {
        _words = GC.AllocateArray<ulong>((SetWords << SetBits) + SetWords, pinned: true);
        nuint at = (nuint)Unsafe.AsPointer(ref _words[0]);
        _first = (int)((64 - (at & 63)) & 63) / sizeof(ulong);
    }

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static WordCache For(RankTable table)
    {
        var c = t_cache ??= new WordCache();
        if (!ReferenceEquals(c._owner, table))
        {
            Array.Clear(c._words);
            c._owner = table;
        }
        return c;
    }

    /// <summary>
    /// Whether the piece text[start..start + length] can be a key: 9 to 16 bytes, all ASCII (the
    /// caller's), the last not 0, and 16 bytes readable from start.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fits(ReadOnlySpan<byte> text, int start, int length) =>
        (uint)(length - MinBytes) <= MaxBytes - MinBytes && start <= text.Length - 16 && text[start + length - 1] != 0;

    /// <summary>Keeps the ids of a piece that <see cref="Fits"/> (1 to <see cref="MaxIds"/> of them; others are not kept).</summary>
    public void Store(ReadOnlySpan<byte> text, int start, int length, ReadOnlySpan<int> ids)
    {
        if ((uint)(ids.Length - 1) >= MaxIds) return;
        ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(text), start);
        ulong w0 = Unsafe.ReadUnaligned<ulong>(ref at), w1 = SecondWord(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 8)), length);
        ref ulong set = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_words), _first + SetOf(w0, w1) * SetWords);
        if (!Matches(ref set, w0, w1))
            for (int k = 0; k < EntryWords; k++) Unsafe.Add(ref set, EntryWords + k) = Unsafe.Add(ref set, k);
        ulong count = (ulong)(ids.Length - 1);
        set = w0 | (count & 1) << 7 | (count & 2) << 14;
        Unsafe.Add(ref set, 1) = w1;
        Span<int> slots = MemoryMarshal.Cast<ulong, int>(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref set, 2), 2));
        slots.Clear();
        ids.CopyTo(slots);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SecondWord(ulong next, int length) => next & (ulong.MaxValue >> ((16 - length) << 3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SetOf(ulong w0, ulong w1) => (int)((w0 * Multiplier0 ^ w1 * Multiplier1) >> (64 - SetBits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Matches(ref ulong entry, ulong w0, ulong w1) =>
        ((entry ^ w0) & ~CountBits) == 0 && Unsafe.Add(ref entry, 1) == w1;

    /// <summary>The cache as the marked-piece loop reads it: its sets taken once per run of pieces.</summary>
    internal readonly ref struct Reader(WordCache cache)
    {
        private readonly ref ulong _sets = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(cache._words), cache._first);

        /// <summary>
        /// For a piece that <see cref="Fits"/>, at <paramref name="text"/> + start: writes its ids at
        /// <paramref name="dest"/> and returns how many, or returns 0 when the cache does not hold it.
        /// Always writes four ids' room: the caller has room for one id per byte of the piece.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int TryWrite(ref byte text, int start, int length, ref int dest)
        {
            ref byte at = ref Unsafe.Add(ref text, start);
            ulong w0 = Unsafe.ReadUnaligned<ulong>(ref at);
            ulong w1 = SecondWord(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref at, 8)), length);
            ref ulong e = ref Unsafe.Add(ref _sets, SetOf(w0, w1) * SetWords);
            if (!Matches(ref e, w0, w1))
            {
                e = ref Unsafe.Add(ref e, EntryWords);
                if (!Matches(ref e, w0, w1)) return 0;
            }
            ref byte ids = ref Unsafe.As<int, byte>(ref dest);
            Unsafe.WriteUnaligned(ref ids, Unsafe.Add(ref e, 2));
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref ids, 8), Unsafe.Add(ref e, 3));
            return (int)((e >> 7 & 1) | (e >> 14 & 2)) + 1;
        }
    }
}
