namespace Crayon.Bpe;

/// <summary>
/// A per-thread cache of pieces of <see cref="MinBytes"/> to <see cref="MaxBytes"/> bytes → their ids,
/// for the pieces <see cref="PieceCache"/> is too narrow to hold. They are few (a few hundred in 2 MB
/// of text) but each costs a merge of a microsecond or more (quadratic up to 96 bytes), and in prose,
/// code and mail they are mostly the same few: separator lines ("=====…", "-----…"), runs of
/// indentation, rules in comments. 2 MB of English held 373 of them, 49 distinct; code 442 (67); mail 401 (68);
/// multilingual text 763 (532, long words in scripts that split little, which recur less).
/// </summary>
/// <remarks>
/// 4-way sets, 4,096 slots, each one key of up to <see cref="MaxBytes"/> bytes and up to
/// <see cref="MaxTokens"/> ids, in two flat arrays (2 MiB), allocated the first time a thread meets
/// such a piece. Entries hold the whole key, so a hit is exact. 1,024 direct-mapped slots missed
/// 44 % of o200k_base's long pieces in 2 MB of multilingual text read again and again (~1,000
/// distinct), 8,192 direct-mapped slots 7 %. Four ways, filled as <see cref="FullSetInsertion"/>
/// says: in 2-way sets filled first, the few sets that three or more recurring pieces map to missed
/// at every occurrence (their merges were 2 % of o200k_base's time on multilingual text read again
/// and again; none show in the profile now).
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
    private const int SetBits = 10;
    private const int Ways = 4;
    private const int Slots = Ways << SetBits;

    [ThreadStatic] private static LongPieceCache? t_cache;

    private readonly byte[] _keys = new byte[Slots * MaxBytes];
    private readonly int[] _ids = new int[Slots * MaxTokens];
    private readonly int[] _meta = new int[Slots];   // length | count << 16; 0 = empty
    private RankTable? _owner;
    private FullSetInsertion _insertion;

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

    /// <summary>The first slot of the set of a piece of <see cref="MinBytes"/> to <see cref="MaxBytes"/> bytes.</summary>
    public static int SetOf(ReadOnlySpan<byte> piece) => (int)(RankTable.Hash(piece, out _) >> (32 - SetBits)) * Ways;

    /// <summary>Writes the cached ids of the piece, if its set holds it.</summary>
    public bool TryWrite(int set, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        for (int slot = set; slot < set + Ways; slot++)
        {
            int meta = _meta[slot];
            if ((meta & 0xFFFF) != piece.Length
                || !piece.SequenceEqual(new ReadOnlySpan<byte>(_keys, slot * MaxBytes, piece.Length)))
                continue;
            foreach (int id in new ReadOnlySpan<int>(_ids, slot * MaxTokens, meta >> 16)) output.Add(id);
            return true;
        }
        return false;
    }

    /// <summary>Remembers the ids of the piece (at most <see cref="MaxTokens"/> ids; more are not
    /// cached), in the way <see cref="FullSetInsertion"/> picks.</summary>
    public void Store(int set, ReadOnlySpan<byte> piece, ReadOnlySpan<int> ids)
    {
        if (ids.IsEmpty || ids.Length > MaxTokens || piece.Length < MinBytes || piece.Length > MaxBytes) return;
        int slot = set + Ways - 1;
        if (_insertion.First(setFull: _meta[slot] != 0))
        {
            // A store is rare next to the merge it follows: moving three entries costs little.
            Array.Copy(_keys, set * MaxBytes, _keys, (set + 1) * MaxBytes, (Ways - 1) * MaxBytes);
            Array.Copy(_ids, set * MaxTokens, _ids, (set + 1) * MaxTokens, (Ways - 1) * MaxTokens);
            Array.Copy(_meta, set, _meta, set + 1, Ways - 1);
            slot = set;
        }
        piece.CopyTo(new Span<byte>(_keys, slot * MaxBytes, MaxBytes));
        ids.CopyTo(new Span<int>(_ids, slot * MaxTokens, MaxTokens));
        _meta[slot] = piece.Length | ids.Length << 16;
    }
}
