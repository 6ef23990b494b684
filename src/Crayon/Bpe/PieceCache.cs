using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of whole pieces (up to <see cref="MaxBytes"/> bytes) → their ids: the merge
/// result of a piece that is not one token, and the one id of a piece of 9 to 32 bytes that is (see
/// BpeEncoding.EncodeLongerPiece). Up to <see cref="MaxTokens"/> ids; results of up to 7, nearly all
/// of them, in the first tier, longer ones in a second. Text is Zipfian and words recur, so most pieces
/// that need a merge were merged before; a hit costs one cache line where a merge costs ~0.5 µs.
/// </summary>
/// <remarks>
/// Layout: 4-way sets of 64-byte entries, each entry one cache line holding its key (zero-padded to
/// 32 bytes, compared as two Vector128), its length and count, and its ids, so a probe touches one
/// line per way it tries, all four adjacent, and fetches the other three while it checks the first:
/// on multilingual text half of the hits are in a later way (new pieces push older ones down), and
/// fetching those lines one after another measured ~8 % slower there while the other core also
/// encoded (the same on an idle machine). The older layout kept keys, ids and lengths in three
/// arrays (three cache misses per probe) in 2-way sets, which multilingual text (tens of thousands
/// of distinct merged pieces) overflowed. Results of 8 to 23 ids live in a second tier of 128-byte
/// entries. 9 MiB per thread that encodes, native, in 2 MiB pages where the OS gives them (see
/// <see cref="HugePageMemory"/>).
/// One cache per thread, bound to one rank table at a time; no locks. Switching tables starts a new
/// epoch (entries carry theirs), so a thread that alternates encodings does not clear 9 MiB per call.
/// </remarks>
internal sealed unsafe class PieceCache
{
    public const int MaxBytes = 32;

    /// <summary>The most ids a cached piece may have (the second tier's entries).</summary>
    public const int MaxTokens = (LongEntryBytes - IdsOffset) / 4;   // 23

    private const int IdsOffset = 36;               // after the 32 key bytes and the 4-byte meta word
    private const int Ways = 4;

    // First tier: results of up to 7 ids in one cache line; 32 Ki sets × 4 ways × 64 B = 8 MiB.
    // 16 Ki sets (4 MiB) held 90 % of the merged pieces of 2 MB of multilingual text (~49k distinct);
    // doubling it measured +24 % (cl100k) and +38 % (o200k) there, +0–9 % on English.
    private const int EntryBytes = 64;
    private const int ShortTokens = (EntryBytes - IdsOffset) / 4;    // 7
    private const int SetBits = 15;

    // Second tier: results of 8 to 23 ids (runs of CJK or Thai text without spaces, where a piece of
    // ten characters can be fifteen tokens) in two lines; 2 Ki sets × 4 ways × 128 B = 1 MiB. Without
    // it those pieces were merged at every occurrence, a third of the merge time on multilingual text.
    private const int LongEntryBytes = 128;
    private const int LongSetBits = 11;

    private const nuint ShortBytes = (nuint)(1 << SetBits) * Ways * EntryBytes;
    private const nuint LongBytes = (nuint)(1 << LongSetBits) * Ways * LongEntryBytes;

    // Consulting the cache by measured benefit. A probe reads a 4-line set that is rarely in the CPU
    // cache (8 lines more in the second tier for pieces of 8 bytes or more), and a miss then stores
    // there too: more than merging a short piece costs. Text whose pieces rarely recur (random
    // symbols, hashes, base64) would pay that at every piece. So each window of probes
    // counts its hits, and when under a quarter hit, only keys in a fixed sample of the sets (1 in 16,
    // by hash, so the same pieces are always the sampled ones and the sample's hit rate is the cache's
    // own) are probed and stored, until the sample hits a quarter of the time again.
    private const int WindowProbes = 256;
    private const int SampledSetMask = 15;
    private int _probes, _hits;
    private bool _sampling;

    // Where a new piece goes. With every piece first, merges were 10 % of o200k_base's samples on
    // 2 MB of multilingual text read again and again (7 % of cl100k_base's); now 5 % and 4 %, with
    // the long-piece cache's own change (perf, steady state).
    private FullSetInsertion _insertion;

    [ThreadStatic] private static PieceCache? t_cache;

    /// <summary>The front tier for pieces of 9 to 16 bytes, which <see cref="BpeEncoding"/> asks first.</summary>
    public WordCache Words { get; } = new();

    private readonly HugePageMemory _memory;        // freed when the thread's cache is collected
    private readonly byte* _base;                   // the first tier, then the second
    private RankTable? _owner;
    private uint _epoch;                            // 1..65535; entries of other epochs never match

    private PieceCache()
    {
        _memory = new HugePageMemory(ShortBytes + LongBytes);
        _base = (byte*)_memory.Pointer;
    }

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static PieceCache For(RankTable table)
    {
        var c = t_cache ??= new PieceCache();
        if (!ReferenceEquals(c._owner, table))
        {
            if (++c._epoch > 0xFFFF)
            {
                NativeMemory.Clear(c._base, c._memory.Bytes);
                c._epoch = 1;
            }
            c._owner = table;
            c.Words.Clear();
            // Another encoding's text has its own hit rate: count it afresh.
            c._sampling = false;
            c._probes = c._hits = 0;
        }
        return c;
    }

    /// <summary>A piece as the cache compares it: its bytes zero-padded to 32, and its length.</summary>
    public readonly struct Key
    {
        public readonly Vector128<byte> Lo, Hi;
        public readonly uint Meta;   // the length; an entry's meta word is length | count << 8 | epoch << 16
        public readonly int Set;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Key(ReadOnlySpan<byte> piece)
        {
            // Built from 8-byte loads in registers: copying the piece into a padded buffer and loading
            // that as vectors stalled on store forwarding, a tenth of a cache hit's time.
            ulong a = Word(piece, 0), b = Word(piece, 8), c = Word(piece, 16), d = Word(piece, 24);
            Lo = Vector128.Create(a, b).AsByte();
            Hi = Vector128.Create(c, d).AsByte();
            ulong h = (a ^ ((ulong)piece.Length << 56)) * 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 29) ^ b) * 0xBF58476D1CE4E5B9UL;
            h ^= (c * 0x94D049BB133111EBUL) ^ (d * 0xD6E8FEB86659FD93UL);
            Set = (int)(h >> (64 - SetBits));
            Meta = (uint)piece.Length;
        }
    }

    /// <summary>Bytes at..at+8 of the piece, little-endian, zero past its end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Word(ReadOnlySpan<byte> piece, int at)
    {
        int left = piece.Length - at;
        if (left >= 8) return BinaryPrimitives.ReadUInt64LittleEndian(piece[at..]);
        if (left <= 0) return 0;
        if (at > 0) return BinaryPrimitives.ReadUInt64LittleEndian(piece[^8..]) >> (8 * (8 - left));
        return RankTable.Tail(piece);
    }

    /// <summary>Whether the piece should be looked up and stored: always, unless recent probes mostly
    /// missed; then only the sampled pieces, which keep measuring whether the cache pays again.</summary>
    public bool Consults(in Key key) => !_sampling || (key.Set & SampledSetMask) == 0;

    /// <summary>True while the cache is consulted only for the sampled pieces (recent probes mostly missed).</summary>
    internal bool Sampling => _sampling;

    /// <summary>Writes the cached ids of the piece, if it is cached (false, unread, for a piece the
    /// cache does not consult now).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in Key key, ref TokenWriter output)
    {
        if (!Consults(key)) return false;
        uint want = key.Meta | (_epoch << 16);
        byte* set = _base + key.Set * (Ways * EntryBytes);
        if (Sse.IsSupported)
        {
            // The ways are tried in turn, but their lines are fetched together: a hit in a later way
            // then waits for one miss, not one per way before it.
            Sse.Prefetch0(set + EntryBytes);
            Sse.Prefetch0(set + 2 * EntryBytes);
            Sse.Prefetch0(set + 3 * EntryBytes);
        }
        byte* e = Find(set, EntryBytes, key, want);
        if (e == null)
        {
            // A piece of n bytes has at most n ids: the second tier cannot hold the short ones.
            e = key.Meta > ShortTokens ? Find(LongSet(key), LongEntryBytes, key, want) : null;
            if (e == null)
            {
                Count(probes: 1, hits: 0);
                return false;
            }
        }
        Count(probes: 1, hits: 1);
        int count = (int)(*(uint*)(e + 32) >> 8) & 0xFF;
        output.AddRange(new ReadOnlySpan<int>(e + IdsOffset, count));
        return true;
    }

    /// <summary>
    /// Counts <paramref name="n"/> pieces that the front tier (<see cref="Words"/>) answered: they
    /// recur, which is what the hit rate measures. Without them, the pieces that get here past that
    /// tier look new, and sampling would have short merged pieces merged again each time.
    /// </summary>
    public void CountHits(int n) => Count(n, n);

    /// <summary>Adds probes and hits to the window; at its end, samples while under a quarter hit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Count(int probes, int hits)
    {
        _hits += hits;
        _probes += probes;
        if (_probes < WindowProbes) return;
        _sampling = _hits * 4 < _probes;
        _probes = _hits = 0;
    }

    private byte* LongSet(in Key key) => _base + ShortBytes + (key.Set >> (SetBits - LongSetBits)) * (Ways * LongEntryBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte* Find(byte* set, int entryBytes, in Key key, uint want)
    {
        for (int way = 0; way < Ways; way++, set += entryBytes)
            if ((*(uint*)(set + 32) & 0xFFFF00FF) == want
                && ((Vector128.Load(set) ^ key.Lo) | (Vector128.Load(set + 16) ^ key.Hi)) == Vector128<byte>.Zero)
                return set;
        return null;
    }

    /// <summary>Remembers the ids of the piece (at most <see cref="MaxTokens"/>; more are not cached, nor
    /// are pieces the cache does not consult now).</summary>
    public void Store(in Key key, ReadOnlySpan<int> ids)
    {
        if (ids.Length > MaxTokens || ids.IsEmpty || !Consults(key)) return;
        int entryBytes = ids.Length <= ShortTokens ? EntryBytes : LongEntryBytes;
        byte* e = entryBytes == EntryBytes ? _base + key.Set * (Ways * EntryBytes) : LongSet(key);
        byte* last = e + (Ways - 1) * entryBytes;
        if (_insertion.First(setFull: *(uint*)(last + 32) >> 16 == _epoch))
            Buffer.MemoryCopy(e, e + entryBytes, (Ways - 1) * entryBytes, (Ways - 1) * entryBytes);   // the last one leaves
        else e = last;
        key.Lo.Store(e);
        key.Hi.Store(e + 16);
        *(uint*)(e + 32) = key.Meta | ((uint)ids.Length << 8) | (_epoch << 16);
        ids.CopyTo(new Span<int>(e + IdsOffset, (entryBytes - IdsOffset) / 4));
    }
}
