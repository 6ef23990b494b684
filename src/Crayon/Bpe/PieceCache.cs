using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of whole pieces (up to <see cref="MaxBytes"/> bytes) → their ids (up to
/// <see cref="MaxTokens"/>): the merge result of a piece that is not one token, or the one id of a
/// piece too long for the <see cref="RankCache"/>. Text is Zipfian and words recur, so most pieces
/// that need a merge were merged before; a hit costs one cache line where a merge costs ~0.5 µs.
/// </summary>
/// <remarks>
/// Layout: 2-way sets of 64-byte entries, each entry one cache line holding its key (zero-padded to
/// 32 bytes, compared as two Vector128), its length and count, and its ids, so a probe touches one
/// line (two for a miss in the first way; the pair is adjacent, and the hardware fetches it as one
/// 128-byte unit). The older layout kept keys, ids and lengths in three arrays: three cache misses per
/// probe, which on multilingual text (tens of thousands of distinct merged pieces) cost more than the
/// merges they saved. 4 MiB per thread, pinned, never moved by the GC.
/// One cache per thread, bound to one rank table at a time (switching tables clears it); no locks.
/// </remarks>
internal sealed unsafe class PieceCache
{
    public const int MaxBytes = 32;
    public const int MaxTokens = 7;

    private const int EntryBytes = 64;
    private const int SetBits = 15;                 // 32 Ki sets × 2 ways × 64 B = 4 MiB
    private const int Sets = 1 << SetBits;
    private const int IdsOffset = 36;               // after the 32 key bytes and the 4-byte meta word

    [ThreadStatic] private static PieceCache? t_cache;

    private readonly byte[] _memory;                // pinned; _base is its first 64-byte boundary
    private readonly byte* _base;
    private RankTable? _owner;

    private PieceCache()
    {
        _memory = GC.AllocateArray<byte>(Sets * 2 * EntryBytes + EntryBytes, pinned: true);
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_memory));
        _base = (byte*)(((nuint)p + EntryBytes - 1) & ~(nuint)(EntryBytes - 1));
    }

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static PieceCache For(RankTable table)
    {
        var c = t_cache ??= new PieceCache();
        if (!ReferenceEquals(c._owner, table))
        {
            Array.Clear(c._memory);
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
        byte* e = _base + key.Set * (2 * EntryBytes);
        if (!Holds(e, key) && !Holds(e += EntryBytes, key)) return false;
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
        byte* e = _base + key.Set * (2 * EntryBytes);
        // The newest piece takes the first way; the one it displaces moves to the second.
        if (*(uint*)(e + 32) != 0)
            Buffer.MemoryCopy(e, e + EntryBytes, EntryBytes, EntryBytes);
        key.Lo.Store(e);
        key.Hi.Store(e + 16);
        *(uint*)(e + 32) = key.Meta | ((uint)ids.Length << 8);
        ids.CopyTo(new Span<int>(e + IdsOffset, MaxTokens));
    }
}
