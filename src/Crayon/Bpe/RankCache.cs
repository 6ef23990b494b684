using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// A small per-thread, direct-mapped cache in front of a <see cref="RankTable"/> for keys of up to
/// eight bytes (whole pieces and merge pairs alike; hits and misses both cached). Text is Zipfian:
/// a few thousand pieces make most of it, and a 256 KiB cache stays in L2 where the rank table
/// (megabytes) does not. Entries hold the key itself, so a hit is exact; a collision just evicts.
/// </summary>
/// <remarks>
/// One cache per thread, bound to one table at a time (switching tables clears it); no locks, and
/// no sharing, so it cannot race. Used only when every rank fits in 24 bits.
/// </remarks>
internal sealed class RankCache
{
    private const int Bits = 14;
    private const int Size = 1 << Bits;

    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public ulong Head;
        public uint Meta; // (length << 24) | (rank + 1); 0 = empty
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
        uint h = RankTable.Hash(key, out ulong head);
        ref Entry e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), (int)(h & (Size - 1)));
        uint want = (uint)key.Length << 24;
        if ((e.Meta & 0xFF000000u) == want && e.Head == head) return (int)(e.Meta & 0xFFFFFF) - 1;
        int r = table.Get(key, h, head);
        e.Head = head;
        e.Meta = want | (uint)(r + 1);
        return r;
    }
}
