using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread, direct-mapped cache in front of a <see cref="RankTable"/> for keys of up to eight
/// bytes (whole pieces and merge pairs alike; hits and misses both cached), and for a piece of 3 to 8
/// bytes that is not one token, its BPE when that is two tokens. Text is Zipfian: a few thousand
/// pieces make most of it, and their entries stay in L2 where the rank table (megabytes) and the
/// piece cache do not. 64 Ki entries (1 MiB): 16 Ki measured 1–10 % slower on English and
/// multilingual text (more pieces went on to the table). Entries hold the key itself, so a hit is
/// exact; a collision just evicts.
/// </summary>
/// <remarks>
/// One cache per thread, bound to one table at a time (switching tables clears it); no locks, and
/// no sharing, so it cannot race. Used only when every rank fits in 24 bits.
/// </remarks>
internal sealed class RankCache
{
    private const int Bits = 16;
    private const int Size = 1 << Bits;

    // A key of 3 to 8 bytes that is not one token is usually a word BPE splits in two: its entry
    // keeps the two ranks too (see GetPiece), so the encoder answers it from this cache, which stays
    // in L2, instead of probing the piece cache, a line that is rarely in the CPU's caches.
    private const int SplitBits = 18;
    private const uint SplitMask = (1u << SplitBits) - 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public ulong Head;
        public uint Meta;  // (length << 28) | (split's bits 32..35 << 24) | (rank + 1); 0 = empty
        public uint Split; // bits 0..31 of ((first + 1) << 18 | second), the key's BPE when it is two tokens; 0 = not known
    }

    [ThreadStatic] private static RankCache? t_cache;

    private readonly Entry[] _entries = new Entry[Size];
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
        if (key.Length > 8 || !table.Cacheable) return table.Get(key);
        ref Entry e = ref Lookup(table, key);
        return (int)(e.Meta & 0xFFFFFF) - 1;
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
        if (!table.Cacheable) return table.Get(key);
        ref Entry e = ref Lookup(table, key);
        int rank = (int)(e.Meta & 0xFFFFFF) - 1;
        if (rank >= 0) return rank;
        ulong split = ((ulong)((e.Meta >> 24) & 0xF) << 32) | e.Split;
        if (split == 0) return -1;
        second = (int)(split & SplitMask);
        return (int)(split >> SplitBits) - 1;
    }

    /// <summary>Remembers that the BPE of <paramref name="key"/> (3 to 8 bytes, not one token) is <paramref name="first"/>, <paramref name="second"/>.</summary>
    public void StoreSplit(RankTable table, ReadOnlySpan<byte> key, int first, int second)
    {
        if (!table.Cacheable || (uint)first >= SplitMask || (uint)second > SplitMask) return;
        ref Entry e = ref Lookup(table, key);
        ulong split = ((ulong)(uint)(first + 1) << SplitBits) | (uint)second;
        e.Meta = (e.Meta & 0xF0000000u) | (uint)(split >> 32) << 24;   // rank + 1 = 0: not one token
        e.Split = (uint)split;
    }

    /// <summary>The key's entry, filled from the table on a miss (hits and misses alike are kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Entry Lookup(RankTable table, ReadOnlySpan<byte> key)
    {
        uint h = RankTable.Hash(key, out ulong head);
        ref Entry e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), (int)(h & (Size - 1)));
        uint want = (uint)key.Length << 28;
        if ((e.Meta & 0xF0000000u) == want && e.Head == head) return ref e;
        int r = table.Get(key, h, head);
        e.Head = head;
        e.Meta = want | (uint)(r + 1);
        e.Split = 0;
        return ref e;
    }
}
