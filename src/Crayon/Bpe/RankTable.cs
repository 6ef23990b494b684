using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// Byte string → rank, an open-addressing hash table of 16-byte slots (four to a cache line, none
/// straddling two) that carry the first eight bytes of their key, the key's length and hash bits,
/// and its rank, so a lookup of a key of up to eight bytes (nearly every lookup) touches one slot and
/// never the key arena; a bit filter in front answers most lookups of strings that are not tokens
/// without touching a slot. No allocation per lookup. Immutable after construction, so any number of
/// threads may read it.
/// </summary>
/// <remarks>
/// The slot was 24 bytes (hash, length, rank and arena offset apart): 6 MB for cl100k_base's 100k
/// keys, a quarter of the slots across two cache lines. The arena offset and long lengths now sit in
/// side arrays read only for keys longer than eight bytes.
/// </remarks>
internal sealed unsafe class RankTable
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Slot
    {
        public ulong Head;   // first min(8, length) bytes, little-endian, zero-padded
        public uint Tag;     // hash bits 8..31, and min(length, 255) in the low byte; 0 = empty slot
        public int Rank;
    }

    private readonly HugePageMemory _memory;   // the slots
    private readonly Slot* _slots;
    private readonly int[] _offset;    // per slot: where the key's bytes start in the arena (keys > 8 bytes)
    private readonly int[] _length;    // per slot: the key's length (keys of 255 bytes and more)
    private readonly int _mask;
    private readonly byte[] _arena;
    private readonly int[] _pairRank = new int[65536]; // rank of every 2-byte key (-1: none): the first lookups of every merge
    private readonly int[] _byteRank = new int[256];   // rank of every byte (-1: none): a merge's parts before they merge

    // 8 bits per key (128 KiB for cl100k_base, 256 KiB for o200k_base): most lookups of strings that
    // are not tokens (a merge's candidate pairs, words of random text) end here, in the L2 cache,
    // instead of at a slot, which is rarely in any cache.
    private readonly BitFilter _filter;

    /// <summary>Number of keys.</summary>
    public int Count { get; }

    /// <summary>The largest rank.</summary>
    public int MaxRank { get; }

    /// <summary>True when every rank is below <see cref="RankCache.RankLimit"/>, what a cache entry holds.</summary>
    public bool Cacheable { get; }

    /// <param name="arena">All keys' bytes; key i is arena[offsets[i] .. offsets[i] + lengths[i]].</param>
    /// <exception cref="InvalidDataException">An empty key, or the same key twice.</exception>
    public RankTable(byte[] arena, ReadOnlySpan<int> offsets, ReadOnlySpan<int> lengths, ReadOnlySpan<int> ranks)
    {
        _arena = arena;
        Count = ranks.Length;
        int cap = 16;
        while (cap < Count * 2) cap <<= 1;
        _memory = new HugePageMemory((nuint)cap * (nuint)sizeof(Slot));
        _slots = (Slot*)_memory.Pointer;
        _offset = new int[cap];
        _length = new int[cap];
        _mask = cap - 1;
        _filter = new BitFilter(Count, bitsPerKey: 8);
        Array.Fill(_pairRank, -1);
        Array.Fill(_byteRank, -1);
        for (int i = 0; i < Count; i++)
        {
            var key = new ReadOnlySpan<byte>(arena, offsets[i], lengths[i]);
            if (key.IsEmpty) throw new InvalidDataException($"token with rank {ranks[i]} is empty");
            uint h = Hash(key, out ulong head);
            uint tag = TagOf(h, key.Length);
            int s = (int)h & _mask;
            while (_slots[s].Tag != 0)
            {
                if (Same(s, tag, head, key))
                    throw new InvalidDataException($"token {Describe(key)} appears twice (ranks {_slots[s].Rank} and {ranks[i]})");
                s = (s + 1) & _mask;
            }
            _slots[s] = new Slot { Head = head, Tag = tag, Rank = ranks[i] };
            _filter.Add(FilterHash(h));
            _offset[s] = offsets[i];
            _length[s] = key.Length;
            if (key.Length == 2) _pairRank[key[0] | (key[1] << 8)] = ranks[i];
            if (key.Length == 1) _byteRank[key[0]] = ranks[i];
        }
        int max = 0;
        foreach (int r in ranks) max = Math.Max(max, r);
        MaxRank = max;
        Cacheable = max < RankCache.RankLimit;
    }

    /// <summary>
    /// The key's hash for the filter, mixed into all 64 bits: the filter takes its word from the top
    /// bits and its two bits from bits 30 to 41. (The 32-bit hash shifted into the top half, as it was,
    /// left bits 30 and 31 zero, so one of the two bits had 16 places instead of 64: 6.8 % of absent
    /// keys got through at 8 bits per key instead of 3.4 %.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong FilterHash(uint h) => h * 0x9E3779B97F4A7C15UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint TagOf(uint h, int length) => (h & 0xFFFFFF00u) | (uint)Math.Min(length, 255);

    /// <summary>The rank of the 2-byte key (a, b), or -1: a direct index, no hashing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int PairRank(byte a, byte b) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pairRank), a | (b << 8));

    /// <summary>
    /// The first entries of <see cref="PairRank"/>'s table (index a | b &lt;&lt; 8) and of the one-byte
    /// keys' ranks (index b; -1: none), for a loop that keeps them in registers: one that stores
    /// through refs cannot keep this table's fields there, since to the code generator such a store
    /// may change them.
    /// </summary>
    internal ref int PairRanks => ref MemoryMarshal.GetArrayDataReference(_pairRank);

    /// <inheritdoc cref="PairRanks"/>
    internal ref int ByteRanks => ref MemoryMarshal.GetArrayDataReference(_byteRank);

    /// <summary>The rank of the one-byte key <paramref name="b"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ByteRank(byte b) => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_byteRank), b);

    /// <summary>The rank of <paramref name="key"/>, or -1 when it is not a token.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(ReadOnlySpan<byte> key)
    {
        uint h = Hash(key, out ulong head);
        return Get(key, h, head);
    }

    /// <summary>As <see cref="Get(ReadOnlySpan{byte})"/>, with the key's hash and head already computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(ReadOnlySpan<byte> key, uint h, ulong head)
    {
        if (!_filter.MayContain(FilterHash(h))) return -1;
        uint tag = TagOf(h, key.Length);
        int s = (int)h & _mask;
        int rank;
        while (true)
        {
            Slot* slot = _slots + s;
            if (slot->Tag == tag && slot->Head == head && (key.Length <= 8 || SameTail(s, key))) { rank = slot->Rank; break; }
            if (slot->Tag == 0) { rank = -1; break; }
            s = (s + 1) & _mask;
        }
        GC.KeepAlive(this); // the slots are freed when this table is collected
        return rank;
    }

    private bool Same(int s, uint tag, ulong head, ReadOnlySpan<byte> key) =>
        _slots[s].Tag == tag && _slots[s].Head == head && (key.Length <= 8 || SameTail(s, key));

    /// <summary>The bytes after the head (the tag already matched the length when it is below 255).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool SameTail(int s, ReadOnlySpan<byte> key) =>
        (key.Length < 255 || _length[s] == key.Length) && key[8..].SequenceEqual(new ReadOnlySpan<byte>(_arena, _offset[s] + 8, key.Length - 8));

    /// <summary>
    /// A multiply-xorshift hash over 8-byte words; <paramref name="head"/> receives the first word
    /// (what the slot stores for the cheap comparison).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint Hash(ReadOnlySpan<byte> key, out ulong head)
    {
        const ulong K = 0x9E3779B97F4A7C15UL;
        int n = key.Length;
        if (n >= 8)
        {
            head = BinaryPrimitives.ReadUInt64LittleEndian(key);
            ulong h = (head ^ (ulong)n) * K;
            int i = 8;
            for (; i + 8 <= n; i += 8)
                h = (h ^ (h >> 29) ^ BinaryPrimitives.ReadUInt64LittleEndian(key[i..])) * K;
            if (i < n)
                h = (h ^ (h >> 29) ^ Tail(key[i..])) * K;
            return (uint)(h >> 32) ^ (uint)h;
        }
        head = Tail(key);
        ulong x = (head ^ ((ulong)n << 56)) * K;
        return (uint)(x >> 32) ^ (uint)x;
    }

    /// <summary>Up to 7 bytes, little-endian, zero-padded: two overlapping loads (their common bytes
    /// agree, so OR joins them), where a load per byte through a jump on the length was slower.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Tail(ReadOnlySpan<byte> t)
    {
        int n = t.Length;
        if (n >= 4)
            return BinaryPrimitives.ReadUInt32LittleEndian(t) | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(t[(n - 4)..]) << (8 * (n - 4));
        if (n >= 2)
            return BinaryPrimitives.ReadUInt16LittleEndian(t) | (ulong)t[n - 1] << (8 * (n - 1));
        return n == 1 ? t[0] : 0UL;
    }

    internal static string Describe(ReadOnlySpan<byte> key) =>
        System.Text.Unicode.Utf8.IsValid(key)
            ? "\"" + System.Text.Encoding.UTF8.GetString(key) + "\""
            : "0x" + Convert.ToHexString(key);
}
