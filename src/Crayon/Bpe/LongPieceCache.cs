namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of pieces of <see cref="MinBytes"/> to <see cref="MaxBytes"/> bytes → their ids,
/// for the pieces <see cref="PieceCache"/> is too narrow to hold. They are few (a few hundred in 2 MB of
/// text) but each costs a merge of a microsecond or more (quadratic up to 96 bytes), and in prose, code and mail
/// they are mostly the same few: separator lines ("=====…", "-----…"), runs of indentation, rules in
/// comments. 2 MB of English held 373 of them, 49 distinct; code 442 (67); mail 401 (68);
/// multilingual text 763 (532, long words in scripts that split little, which recur less).
/// </summary>
/// <remarks>
/// Direct-mapped: <see cref="Slots"/> slots, each one key of up to <see cref="MaxBytes"/> bytes and up
/// to <see cref="MaxTokens"/> ids, in two flat arrays (520 KiB), allocated the first time a thread
/// meets such a piece; a collision evicts. Entries hold the whole key, so a hit is exact.
/// One cache per thread, bound to one rank table at a time (switching tables empties it); no locks.
/// Tried first and dropped: handing pieces of 17 to 96 bytes to the linear backtracking encoder,
/// +4–36 % on the same text, but building its tables costs 140–290 ms at the first such piece, a
/// latency spike that otherwise only text with a piece over 96 bytes pays; with this cache in place
/// it measured 0.93–1.05×: its gain had come from the pieces that recur.
/// </remarks>
internal sealed class LongPieceCache
{
    public const int MinBytes = PieceCache.MaxBytes + 1;
    public const int MaxBytes = 256;
    public const int MaxTokens = 64;
    private const int Bits = 10;
    private const int Slots = 1 << Bits;

    [ThreadStatic] private static LongPieceCache? t_cache;

    private readonly byte[] _keys = new byte[Slots * MaxBytes];
    private readonly int[] _ids = new int[Slots * MaxTokens];
    private readonly int[] _meta = new int[Slots];   // length | count << 16; 0 = empty
    private RankTable? _owner;

    /// <summary>This thread's cache, bound to <paramref name="table"/>.</summary>
    public static LongPieceCache For(RankTable table)
    {
        var c = t_cache ??= new LongPieceCache();
        if (!ReferenceEquals(c._owner, table))
        {
            Array.Clear(c._meta);
            c._owner = table;
        }
        return c;
    }

    /// <summary>The slot of a piece of <see cref="MinBytes"/> to <see cref="MaxBytes"/> bytes.</summary>
    public static int SlotOf(ReadOnlySpan<byte> piece) => (int)(RankTable.Hash(piece, out _) >> (32 - Bits));

    /// <summary>Writes the cached ids of the piece, if it is cached.</summary>
    public bool TryWrite(int slot, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        int meta = _meta[slot];
        if ((meta & 0xFFFF) != piece.Length
            || !piece.SequenceEqual(new ReadOnlySpan<byte>(_keys, slot * MaxBytes, piece.Length)))
            return false;
        foreach (int id in new ReadOnlySpan<int>(_ids, slot * MaxTokens, meta >> 16)) output.Add(id);
        return true;
    }

    /// <summary>Remembers the ids of the piece (at most <see cref="MaxTokens"/>; more are not cached).</summary>
    public void Store(int slot, ReadOnlySpan<byte> piece, ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty || ids.Length > MaxTokens || piece.Length < MinBytes || piece.Length > MaxBytes) return;
        piece.CopyTo(new Span<byte>(_keys, slot * MaxBytes, MaxBytes));
        ids.CopyTo(new Span<int>(_ids, slot * MaxTokens, MaxTokens));
        _meta[slot] = piece.Length | ids.Length << 16;
    }
}
