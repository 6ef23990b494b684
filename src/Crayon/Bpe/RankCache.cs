using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread, direct-mapped cache in front of a <see cref="RankTable"/> for keys of up to eight
/// bytes (whole pieces and merge pairs alike; hits and misses both cached), and for a piece of 3 to 8
/// bytes that is not one token, its BPE when that is two tokens. Text is Zipfian: a few thousand
/// pieces make most of it, and their entries stay in L2 where the rank table (megabytes) and the
/// piece cache do not. 64 Ki entries: 16 Ki measured 1–10 % slower on English and multilingual text
/// (more pieces went on to the table).
/// <para>
/// An entry is one 8-byte word, so the 64 Ki entries take 512 KiB and leave half of a 1 MiB L2 to
/// the rest (16-byte entries, the whole key beside the rank, filled it). The key is stored exactly,
/// not as a hash: its bytes are first packed into 57 bits (see <see cref="Pack"/>), then multiplied
/// by an odd constant modulo 2^57, which is a bijection; the top 16 bits of the product choose the
/// entry and the other 41 are kept in it, so index and stored bits together give back the key, and a
/// hit is exact. A collision just evicts.
/// </para>
/// </summary>
/// <remarks>
/// One cache per thread, bound to one table at a time (switching tables clears it); no locks, and
/// no sharing, so it cannot race. Used only when every rank fits in 22 bits. Keys that do not pack
/// (a last byte 0, or eight bytes with one above 0x7F) go to the table.
/// </remarks>
internal sealed class RankCache
{
    private const int IndexBits = 16;
    private const int Size = 1 << IndexBits;
    private const int KeyBits = 57;
    private const ulong KeyMask = (1UL << KeyBits) - 1;
    private const int TagBits = KeyBits - IndexBits;
    private const ulong TagMask = (1UL << TagBits) - 1;
    private const ulong Multiplier = 0x9E3779B97F4A7C15UL & KeyMask;   // odd

    // An entry: tag | value << TagBits. Value 0 = empty. Below NotOneToken: rank + 1. NotOneToken |
    // (first + 1): the key is not one token, and when first + 1 > 0 its BPE is first, _second[entry]
    // (a key of 3 to 8 bytes that is not one token is usually a word BPE splits in two; keeping its
    // parts here answers it without the piece cache, a line that is rarely in the CPU's caches).
    private const int ValueBits = 64 - TagBits;
    private const uint NotOneToken = 1u << (ValueBits - 1);

    /// <summary>Ranks the cache can hold (the table is <see cref="RankTable.Cacheable"/> below this).</summary>
    public const int RankLimit = (int)NotOneToken - 1;

    [ThreadStatic] private static RankCache? t_cache;

    private readonly ulong[] _entries = new ulong[Size];
    private readonly int[] _second = new int[Size];
    private RankTable? _owner;

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static RankCache For(RankTable table)
    {
        var c = t_cache ??= new RankCache();
        if (!ReferenceEquals(c._owner, table))
        {
            Array.Clear(c._entries);
            c._owner = table;
        }
        return c;
    }

    /// <summary>The rank of <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(RankTable table, ReadOnlySpan<byte> key)
    {
        if (key.Length == 2) return table.PairRank(key[0], key[1]);
        if (key.Length > 8 || !table.Cacheable || !Pack(key, out ulong packed)) return table.Get(key);
        uint value = Lookup(table, key, packed, out _);
        return value < NotOneToken ? (int)value - 1 : -1;
    }

    /// <summary>
    /// For a piece of 3 to 8 bytes: its rank when it is one token (<paramref name="second"/> = -1);
    /// else, when its BPE is two tokens that <see cref="StoreSplit"/> kept, the first of them and the
    /// second in <paramref name="second"/>; else -1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetPiece(RankTable table, ReadOnlySpan<byte> key, out int second)
    {
        second = -1;
        if (!table.Cacheable || !Pack(key, out ulong packed)) return table.Get(key);
        uint value = Lookup(table, key, packed, out int index);
        if (value < NotOneToken) return (int)value - 1;
        int first = (int)(value - NotOneToken) - 1;
        if (first >= 0) second = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_second), index);
        return first;
    }

    /// <summary>
    /// The cache as the marked-piece loop reads it (<see cref="BpeEncoding"/>): its two arrays taken
    /// once per run of pieces, so that the loop keeps them in registers instead of loading them from
    /// the cache object at every piece.
    /// </summary>
    internal readonly ref struct Reader(RankCache cache)
    {
        private readonly ref ulong _entries = ref MemoryMarshal.GetArrayDataReference(cache._entries);
        private readonly ref int _second = ref MemoryMarshal.GetArrayDataReference(cache._second);

        /// <summary>
        /// For a key that <see cref="Pack"/> packed: writes its rank at <paramref name="dest"/> and
        /// returns 1, or its kept split (two ids) and returns 2; returns 0, writing nothing, when the
        /// entry does not answer (another key, empty, or "not one token" without a kept split).
        /// </summary>
        // It repeats Lookup's entry choice and hit test on purpose (and PackAscii did Pack's eight-byte
        // packing until 2026-12-07): the same code through shared inlined helpers measured 0.88–0.99× on
        // English, code and e-mail (three variants, four runs each): this loop is sensitive to how
        // the JIT lays it out.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int TryWrite(ulong packed, ref int dest)
        {
            ulong m = (packed * Multiplier) & KeyMask;
            nint index = (nint)(m >> TagBits);
            ulong x = Unsafe.Add(ref _entries, index) ^ (m & TagMask);
            uint value = (uint)(x >> TagBits);
            if ((x & TagMask) != 0 || value == 0) return 0;
            if (value < NotOneToken)
            {
                dest = (int)value - 1;
                return 1;
            }
            int first = (int)(value - NotOneToken) - 1;
            if (first < 0) return 0;
            dest = first;
            Unsafe.Add(ref dest, 1) = Unsafe.Add(ref _second, index);
            return 2;
        }
    }

    /// <summary>Remembers that the BPE of <paramref name="key"/> (3 to 8 bytes, not one token) is <paramref name="first"/>, <paramref name="second"/>.</summary>
    public void StoreSplit(RankTable table, ReadOnlySpan<byte> key, int first, int second)
    {
        if (!table.Cacheable || (uint)first >= RankLimit || !Pack(key, out ulong packed)) return;
        Lookup(table, key, packed, out int index);
        ref ulong e = ref _entries[index];
        e = (e & TagMask) | (ulong)(NotOneToken | (uint)(first + 1)) << TagBits;
        _second[index] = second;
    }

    /// <summary>
    /// The key's value, filled from the table on a miss (hits and misses alike are kept), and its
    /// entry's index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Lookup(RankTable table, ReadOnlySpan<byte> key, ulong packed, out int index)
    {
        ulong m = (packed * Multiplier) & KeyMask;
        index = (int)(m >> TagBits);
        ulong tag = m & TagMask;
        ref ulong e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), index);
        ulong x = e ^ tag;
        if ((x & TagMask) == 0 && x != 0) return (uint)(x >> TagBits);
        int r = table.Get(key);
        uint value = r >= 0 ? (uint)(r + 1) : NotOneToken;
        e = tag | (ulong)value << TagBits;
        return value;
    }

    /// <summary>
    /// <see cref="Pack"/> for ASCII text: <paramref name="word"/> holds the next eight bytes from the
    /// key's start (all below 0x80), <paramref name="length"/> is the key's; gives the packed key, or
    /// 0 (which no entry holds) for a key that does not pack or is longer than eight bytes.
    /// </summary>
    /// <remarks>
    /// Only eight-byte keys need their last byte folded in (<see cref="PackEight"/>), and they are a
    /// small share of pieces, so that is a branch. Computed for every key and selected without a
    /// branch, as before 2026-12-07, it cost the marked-piece loop 10 % more instructions on English,
    /// code and e-mail (`benchmarks/cost_ab.py`) for ~5 % fewer mispredicted branches.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong PackAscii(ulong word, int length)
    {
        ulong key = word & (ulong.MaxValue >> ((8 - length) << 3));
        ulong lastByte = key >> ((length - 1) << 3);
        ulong packs = (ulong)((long)(0 - lastByte) >> 63) & (ulong)((long)(length - 9) >> 63);
        if (length == 8) key = PackEight(word);
        return key & packs;
    }

    /// <summary>An eight-byte ASCII key: the eighth byte's seven bits in the top bits of the first seven, and bit 56.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PackEight(ulong word) =>
        (word & 0x00FFFFFFFFFFFFFFUL) | (((word >> 56) * Spread) & 0x0080808080808080UL) | 1UL << 56;

    // last * Spread puts bit i at bit 8i + 7 (i < 7) with no carries: the 49 partial products land on distinct bits.
    private const ulong Spread = 0x0002040810204080UL;

    /// <summary>
    /// The key (1 to 8 bytes) as a number below 2^57, different for different keys; false for a key
    /// that does not pack. Up to seven bytes: the bytes themselves, zero-padded, which tell the
    /// length when the last byte is not 0. Eight bytes of at most 0x7F (their top bits all zero):
    /// the eighth byte's seven bits move into the top bits of the first seven, and bit 56 marks it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Pack(ReadOnlySpan<byte> key, out ulong packed)
    {
        int n = key.Length;
        if (n < 8)
        {
            packed = RankTable.Tail(key);
            return n > 0 && key[n - 1] != 0;
        }
        ulong head = BinaryPrimitives.ReadUInt64LittleEndian(key);
        packed = PackEight(head);
        return n == 8 && head >> 56 != 0 && (head & 0x8080808080808080UL) == 0;
    }
}
