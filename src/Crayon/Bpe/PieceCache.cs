using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of whole pieces (up to <see cref="MaxBytes"/> bytes) that are not one token →
/// their merge result (up to <see cref="MaxTokens"/> ids). Text is Zipfian and words recur, so most pieces
/// that need a merge were merged before; a hit costs one cache line where a merge costs ~0.5 µs.
/// </summary>
/// <remarks>
/// Layout: 4-way sets of 64-byte entries, each entry one cache line holding its key (zero-padded to
/// 32 bytes, compared as two Vector128), its length and count, and its ids, so a probe touches one
/// line per way it tries, all four adjacent. With 2 ways, multilingual text (~49k distinct merged
/// pieces in 2 MB) overflowed a fifth of the sets, and a set of three pieces read in turn misses
/// every time; 4 ways in the same 4 MiB keep nearly all of them. The older layout kept keys, ids and lengths in three arrays: three cache misses per
/// probe, which on multilingual text (tens of thousands of distinct merged pieces) cost more than the
/// merges they saved. 4 MiB per thread, native, in 2 MiB pages where the OS gives them (see
/// <see cref="HugePageMemory"/>).
/// One cache per thread, bound to one rank table at a time (switching tables clears it); no locks.
/// </remarks>
internal sealed unsafe class PieceCache
{
    public const int MaxBytes = 32;
    public const int MaxTokens = 7;

    private const int EntryBytes = 64;
    private const int Ways = 4;
    private const int SetBits = 14;                 // 16 Ki sets × 4 ways × 64 B = 4 MiB
    private const int Sets = 1 << SetBits;
    private const int IdsOffset = 36;               // after the 32 key bytes and the 4-byte meta word

    [ThreadStatic] private static PieceCache? t_cache;

    private readonly HugePageMemory _memory;        // freed when the thread's cache is collected
    private readonly byte* _base;
    private RankTable? _owner;

    private PieceCache()
    {
        _memory = new HugePageMemory(Sets * Ways * EntryBytes);
        _base = (byte*)_memory.Pointer;
    }

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static PieceCache For(RankTable table)
    {
        var c = t_cache ??= new PieceCache();
        if (!ReferenceEquals(c._owner, table))
        {
            NativeMemory.Clear(c._base, c._memory.Bytes);
            c._owner = table;
        }
        return c;
    }

    /// <summary>A piece as the cache compares it: its bytes zero-padded to 32, and its length.</summary>
    public readonly struct Key
    {
        public readonly Vector128<byte> Lo, Hi;
        public readonly uint Meta;   // length | count << 8 (count 0 in a key)
        public readonly int Set;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Key(ReadOnlySpan<byte> piece)
        {
            Span<byte> padded = stackalloc byte[MaxBytes];
            padded.Clear();
            piece.CopyTo(padded);
            Lo = Vector128.Create<byte>(padded);
            Hi = Vector128.Create<byte>(padded[16..]);
            ulong a = Lo.AsUInt64().GetElement(0), b = Lo.AsUInt64().GetElement(1);
            ulong c = Hi.AsUInt64().GetElement(0), d = Hi.AsUInt64().GetElement(1);
            ulong h = (a ^ ((ulong)piece.Length << 56)) * 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9UL;
            h ^= (c * 0x94D049BB133111EBUL) ^ (d * 0xD6E8FEB86659FD93UL);
            Set = (int)(h >> (64 - SetBits));
            Meta = (uint)piece.Length;
        }
    }

    /// <summary>Writes the cached ids of the piece, if it is cached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in Key key, ref TokenWriter output)
    {
        byte* e = _base + key.Set * (Ways * EntryBytes);
        if (!Holds(e, key) && !Holds(e += EntryBytes, key) && !Holds(e += EntryBytes, key) && !Holds(e += EntryBytes, key))
            return false;
        int count = (int)(*(uint*)(e + 32) >> 8);
        int* ids = (int*)(e + IdsOffset);
        for (int k = 0; k < count; k++) output.Add(ids[k]);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Holds(byte* e, in Key key) =>
        (*(uint*)(e + 32) & 0xFF) == key.Meta
        && ((Vector128.Load(e) ^ key.Lo) | (Vector128.Load(e + 16) ^ key.Hi)) == Vector128<byte>.Zero;

    /// <summary>Remembers the ids of the piece (at most <see cref="MaxTokens"/>; more are not cached).</summary>
    public void Store(in Key key, ReadOnlySpan<int> ids)
    {
        if (ids.Length > MaxTokens || ids.IsEmpty) return;
        byte* e = _base + key.Set * (Ways * EntryBytes);
        // The newest piece takes the first way and the others move down one; the last one leaves.
        Buffer.MemoryCopy(e, e + EntryBytes, (Ways - 1) * EntryBytes, (Ways - 1) * EntryBytes);
        key.Lo.Store(e);
        key.Hi.Store(e + 16);
        *(uint*)(e + 32) = key.Meta | ((uint)ids.Length << 8);
        ids.CopyTo(new Span<int>(e + IdsOffset, MaxTokens));
    }
}
