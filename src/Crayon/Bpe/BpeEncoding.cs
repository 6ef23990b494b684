using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Crayon.Batching;
using System.Text;
using System.Text.Unicode;
using Crayon.PreTokenize;

namespace Crayon.Bpe;

/// <summary>
/// A byte-level BPE encoding (ranks + split pattern + special tokens) that gives tiktoken's ids:
/// split the text with the pattern, look each piece up whole, else merge it by rank.
/// Immutable once built; every method may be called from any number of threads at once.
/// </summary>
public sealed class BpeEncoding
{
    private readonly RankTable _ranks;
    private readonly PreTokenizer _pre;
    private readonly SpecialTokens _specials;
    private readonly byte[] _arena;                       // bytes of every ordinary token
    private readonly int[] _decodeOffset;                 // per id: offset into _arena, or ~special index, or int.MinValue
    private readonly int[] _decodeLength;
    private readonly LazyBacktrackingEncoder _longPieces; // built the first time a long piece is seen

    /// <summary>Largest id + 1 (ordinary ranks and special ids).</summary>
    public int NVocab { get; }

    /// <summary>Number of ordinary (mergeable) tokens.</summary>
    public int NRanks => _ranks.Count;

    public PreTokenizer PreTokenizer => _pre;

    internal SpecialTokens Specials => _specials;

    /// <summary>This thread's view of the ranks for the merge paths (tests call them directly).</summary>
    internal BytePairMerger.Ranks MergeRanks => new(_ranks, RankCache.For(_ranks));

    /// <summary>The long-piece encoder (tests build and call it directly).</summary>
    internal LazyBacktrackingEncoder LongPieces => _longPieces;

    /// <summary>The rank table (benchmarks/bpe_stages times its parts apart).</summary>
    internal RankTable RankTableForBenchmarks => _ranks;

    /// <summary>From a .tiktoken rank file.</summary>
    public static BpeEncoding FromTiktokenFile(string path, string pattern, IReadOnlyList<string> specialNames, IReadOnlyList<int> specialIds)
        => FromTiktokenData(File.ReadAllBytes(path), pattern, specialNames, specialIds);

    /// <summary>From the contents of a .tiktoken rank file.</summary>
    public static BpeEncoding FromTiktokenData(ReadOnlySpan<byte> data, string pattern, IReadOnlyList<string> specialNames, IReadOnlyList<int> specialIds)
    {
        var r = TiktokenFile.Parse(data);
        return new BpeEncoding(r.Arena, r.Offsets, r.Lengths, r.Values, pattern, specialNames, specialIds);
    }

    /// <summary>From ranks in memory: tokens[i] has rank ranks[i].</summary>
    public static BpeEncoding FromRanks(IReadOnlyList<byte[]> tokens, IReadOnlyList<int> ranks, string pattern,
                                        IReadOnlyList<string> specialNames, IReadOnlyList<int> specialIds)
    {
        if (tokens.Count != ranks.Count) throw new ArgumentException("tokens and ranks differ in number");
        int total = 0;
        foreach (byte[] t in tokens) total = checked(total + (t ?? throw new ArgumentException("a token is null")).Length);
        var arena = new byte[total];
        var offsets = new int[tokens.Count];
        var lengths = new int[tokens.Count];
        var values = new int[tokens.Count];
        int used = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i].CopyTo(arena, used);
            offsets[i] = used;
            lengths[i] = tokens[i].Length;
            values[i] = ranks[i];
            used += lengths[i];
        }
        return new BpeEncoding(arena, offsets, lengths, values, pattern, specialNames, specialIds);
    }

    internal BpeEncoding(byte[] arena, int[] offsets, int[] lengths, int[] ranks, string pattern,
                         IReadOnlyList<string> specialNames, IReadOnlyList<int> specialIds)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        _pre = PreTokenizer.FromPattern(pattern);
        _specials = new SpecialTokens(specialNames, specialIds);
        _arena = arena;

        int maxId = -1;
        foreach (int r in ranks)
        {
            if (r < 0) throw new InvalidDataException($"rank {r} is negative");
            maxId = Math.Max(maxId, r);
        }
        foreach (int id in _specials.Ids) maxId = Math.Max(maxId, id);
        long limit = 2L * (ranks.Length + _specials.Count) + 65536;
        if (maxId >= limit)
            throw new InvalidDataException($"ids are too sparse: the largest is {maxId} for {ranks.Length + _specials.Count} tokens");
        NVocab = maxId + 1;

        _decodeOffset = new int[NVocab];
        _decodeLength = new int[NVocab];
        Array.Fill(_decodeOffset, int.MinValue);
        for (int i = 0; i < ranks.Length; i++)
        {
            int r = ranks[i];
            if (_decodeOffset[r] != int.MinValue)
                throw new InvalidDataException($"rank {r} is given to two tokens ({RankTable.Describe(arena.AsSpan(_decodeOffset[r], _decodeLength[r]))} and {RankTable.Describe(arena.AsSpan(offsets[i], lengths[i]))})");
            _decodeOffset[r] = offsets[i];
            _decodeLength[r] = lengths[i];
        }
        _ranks = new RankTable(arena, offsets, lengths, ranks); // also rejects duplicate tokens
        _longPieces = new LazyBacktrackingEncoder(arena, _decodeOffset, _decodeLength);
        for (int k = 0; k < _specials.Count; k++)
        {
            int id = _specials.Ids[k];
            if (_decodeOffset[id] != int.MinValue)
                throw new InvalidDataException($"special token \"{_specials.Name(k)}\" has id {id}, which is also an ordinary rank");
            _decodeOffset[id] = ~k;
            _decodeLength[id] = _specials.Bytes(k).Length;
        }
    }

    // ---- encoding ---------------------------------------------------------------------------------

    /// <summary>
    /// Encodes UTF-8 text with every special-token string treated as ordinary text. Writes the ids
    /// into <paramref name="output"/> and returns how many there are; when that exceeds
    /// output.Length, only the first output.Length were written (call again with a larger span).
    /// </summary>
    public int EncodeOrdinary(ReadOnlySpan<byte> utf8, Span<int> output)
    {
        ValidateUtf8(utf8);
        var w = new TokenWriter(output);
        EncodeOrdinaryValid(utf8, ref w);
        return w.Count;
    }

    /// <summary>Convenience: the ids of a string (tests, cold paths).</summary>
    public int[] EncodeOrdinary(string text) => Encode(Encoding.UTF8.GetBytes(text), SpecialPolicy.None);

    /// <summary>
    /// Encodes with tiktoken's special-token policy: first, if the text holds any disallowed special
    /// token, throws <see cref="DisallowedSpecialException"/>; then allowed special tokens become
    /// their ids and everything between them is encoded as ordinary text.
    /// Same return convention as <see cref="EncodeOrdinary(ReadOnlySpan{byte}, Span{int})"/>.
    /// </summary>
    public int Encode(ReadOnlySpan<byte> utf8, SpecialPolicy policy, Span<int> output)
    {
        ValidateUtf8(utf8);
        var w = new TokenWriter(output);
        EncodeValid(utf8, policy, ref w);
        return w.Count;
    }

    /// <summary>Convenience: the ids as a new array.</summary>
    public int[] Encode(ReadOnlySpan<byte> utf8, SpecialPolicy policy)
    {
        ValidateUtf8(utf8);
        var w = TokenWriter.Growing(utf8.Length / 3 + 16);
        try
        {
            EncodeValid(utf8, policy, ref w);
            return w.Written.ToArray();
        }
        finally { w.Dispose(); }
    }

    /// <summary>The special-token policy from names (tiktoken's allowed_special / disallowed_special).</summary>
    public SpecialPolicy Policy(IEnumerable<string>? allowed, IEnumerable<string>? disallowed, bool allowAll, bool disallowAll)
        => SpecialPolicy.Create(_specials, allowed, disallowed, allowAll, disallowAll);

    internal void EncodeValid(ReadOnlySpan<byte> text, SpecialPolicy policy, ref TokenWriter w)
    {
        if (policy.AnyDisallowed && _specials.FindNext(text, 0, policy.Disallowed, out int at, out int which))
            throw new DisallowedSpecialException(_specials.Name(which), at);
        if (!policy.AnyAllowed)
        {
            EncodeOrdinaryValid(text, ref w);
            return;
        }
        int start = 0;
        while (_specials.FindNext(text, start, policy.Allowed, out int pos, out int k))
        {
            EncodeOrdinaryValid(text[start..pos], ref w);
            w.Add(_specials.Ids[k]);
            start = pos + _specials.Bytes(k).Length;
        }
        EncodeOrdinaryValid(text[start..], ref w);
    }

    internal void EncodeOrdinaryValid(ReadOnlySpan<byte> text, ref TokenWriter w)
    {
        // The known patterns: a direct loop, no enumerator or virtual call per piece.
        if (_pre is Gpt4Splitter g4) { EncodeSplit(new Gpt4Pieces(g4), text, ref w); return; }
        if (_pre is O200kSplitter o2) { EncodeSplit(new O200kPieces(o2), text, ref w); return; }
        var ranks = new BytePairMerger.Ranks(_ranks, RankCache.For(_ranks));
        PieceCache pieces = PieceCache.For(_ranks);
        foreach (PreTokenizer.Piece p in _pre.SplitValid(text))
            EncodePiece(ranks, pieces, text.Slice(p.Start, p.Length), ref w);
    }

    /// <summary>The piece boundaries of one known pattern, as a struct so the loop below is specialised per pattern.</summary>
    private interface IPieceEnds
    {
        int PieceEnd(ReadOnlySpan<byte> text, int start);

        /// <summary>The pattern, for <see cref="Gpt4AsciiStarts"/>.</summary>
        GptPattern Pattern { get; }

        /// <summary>The longest digit-run piece (the pattern's <c>\p{N}{1,k}</c>).</summary>
        int MaxDigits { get; }
    }

    private readonly struct Gpt4Pieces(Gpt4Splitter splitter) : IPieceEnds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int PieceEnd(ReadOnlySpan<byte> text, int start) => splitter.PieceEnd(text, start);

        public GptPattern Pattern => GptPattern.Gpt4;

        public int MaxDigits => splitter.MaxDigits;
    }

    private readonly struct O200kPieces(O200kSplitter splitter) : IPieceEnds
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int PieceEnd(ReadOnlySpan<byte> text, int start) => splitter.PieceEnd(text, start);

        public GptPattern Pattern => GptPattern.O200k;

        public int MaxDigits => splitter.MaxDigits;
    }

    /// <summary>When false, the GPT-4-style patterns are split piece by piece everywhere (the tests compare both).</summary>
    internal static bool UseAsciiMasks = true;

    /// <summary>ASCII runs shorter than this are split piece by piece (marking them costs more than it saves).</summary>
    private const int MinMaskedBytes = 64;

    /// <summary>
    /// A GPT-4-style pattern: ASCII runs are split by <see cref="Gpt4AsciiStarts"/>, 64 bytes per step,
    /// the rest (and the pieces at a run's end, which depend on what follows it) piece by piece.
    /// </summary>
    /// <remarks>
    /// Tried and dropped: splitting a block of 16 pieces ahead and prefetching their rank-cache and
    /// rank-table entries before looking them up. Measured 10-20 % slower on English and code than the
    /// plain piece-by-piece loop (the out-of-order core already overlaps one piece's miss with the next split).
    /// </remarks>
    [SkipLocalsInit]   // Mark writes every word of starts that is read
    private void EncodeSplit<TPieces>(TPieces split, ReadOnlySpan<byte> text, ref TokenWriter w)
        where TPieces : struct, IPieceEnds
    {
        GptPattern pattern = split.Pattern;
        int maxDigits = split.MaxDigits;
        var ranks = new BytePairMerger.Ranks(_ranks, RankCache.For(_ranks));
        PieceCache pieces = PieceCache.For(_ranks);
        Span<ulong> starts = stackalloc ulong[Gpt4AsciiStarts.MaxBytes / 64];
        // No ASCII run is marked before this; without masks, none at all.
        int scalarUntil = UseAsciiMasks && maxDigits <= Gpt4AsciiStarts.MaxDigits ? 0 : int.MaxValue;
        for (int pos = 0; pos < text.Length;)
        {
            if (pos >= scalarUntil && (pos == 0 || text[pos - 1] < 0x80))
            {
                int limit = Math.Min(text.Length, pos + Gpt4AsciiStarts.MaxBytes);
                int ascii = text[pos..limit].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
                int asciiEnd = ascii < 0 ? limit : pos + ascii;
                if (asciiEnd - pos >= MinMaskedBytes)
                {
                    int exact = Gpt4AsciiStarts.Mark(text, pos, asciiEnd, maxDigits, pattern, starts);
                    if (exact > pos)
                    {
                        EncodeMarked(ranks, pieces, text, pos, exact, starts, ref w);
                        if (asciiEnd < limit) scalarUntil = asciiEnd;   // a non-ASCII byte ends the run
                        pos = exact;
                        continue;
                    }
                }
                scalarUntil = asciiEnd + 1;
            }
            int end = split.PieceEnd(text, pos);
            EncodePiece(ranks, pieces, text[pos..end], ref w);
            pos = end;
        }
    }

    /// <summary>
    /// The pieces between the marks from pos (marked at bit 0) up to exact. Most are one to eight ASCII
    /// bytes that the rank cache answers (one token, or a kept split in two): those are written
    /// straight into room reserved for the run's ids (a run of n bytes has at most n), in a loop that
    /// does not branch on a piece's length. Through <see cref="TokenWriter.Add"/> and
    /// <see cref="EncodePiece"/>, each piece took ~113 instructions and two or three branches on its
    /// length (one byte, two, three to eight), which the CPU mispredicts on real text; now ~80 and
    /// none: 1.2–1.4× on English and code whose tables stay in the CPU's caches. (The same loop with
    /// the length branches kept, ~65 instructions, was no faster than before.) Any other piece goes
    /// to <see cref="EncodePiece"/>, out of line.
    /// </summary>
    private void EncodeMarked(in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> text, int pos, int exact,
                              scoped ReadOnlySpan<ulong> starts, ref TokenWriter w)
    {
        Span<int> room = ranks.Table.Cacheable ? w.Reserve(exact - pos) : default;
        if (room.IsEmpty)
        {
            EncodeMarkedChecked(ranks, pieces, text, pos, exact, starts, ref w);
            return;
        }
        var cache = new RankCache.Reader(ranks.Cache);
        var wordReader = new WordCache.Reader(pieces.Words);
        ref byte t = ref MemoryMarshal.GetReference(text);
        ref int dest = ref MemoryMarshal.GetReference(room);
        int lastWord = text.Length - 8;   // the last place an 8-byte read may start
        int n = 0, wordHits = 0;
        int start = pos;
        int words = (exact - pos + 63) >> 6;
        for (int k = 0; k < words; k++)
        {
            ulong bits = starts[k];
            if (k == 0) bits &= ~1UL;
            int wordStart = pos + (k << 6);
            for (; bits != 0; bits &= bits - 1)
            {
                int at = wordStart + BitOperations.TrailingZeroCount(bits);
                if (at >= exact) break;
                int written = CachedPiece(ref t, start, at - start, lastWord, cache, ref Unsafe.Add(ref dest, n));
                n += written;
                if (written == 0)
                {
                    // Long words: the word cache, in line; then everything else, out of line.
                    if (WordCache.Fits(ref t, start, at - start))
                        written = wordReader.TryWrite(ref t, start, at - start, ref Unsafe.Add(ref dest, n));
                    n += written;
                    if (written != 0) wordHits++;
                    else
                    {
                        dest = ref EncodeOtherPiece(ranks, pieces, text, start, at, exact, n, ref w);
                        n = 0;
                    }
                }
                start = at;
            }
        }
        int last = CachedPiece(ref t, start, exact - start, lastWord, cache, ref Unsafe.Add(ref dest, n));
        w.Advance(n + last);
        if (last == 0) EncodePiece(ranks, pieces, text[start..exact], ref w);
        if (wordHits != 0) pieces.CountHits(wordHits);
    }

    /// <summary>
    /// The piece text[start..start + length], ASCII, when the rank cache knows it: writes its one id,
    /// or its two (a kept split), at <paramref name="dest"/> and returns how many; else returns 0.
    /// (The 8-byte read is little-endian, as on every target NativeAOT builds this library for; a
    /// byte-order check, folded away there, moved the loop's code and measured 0.83–1.08×.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CachedPiece(ref byte text, int start, int length, int lastWord, in RankCache.Reader cache, ref int dest) =>
        start <= lastWord
            ? cache.TryWrite(RankCache.PackAscii(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref text, start)), length), ref dest)
            : 0;

    /// <summary>
    /// The piece text[start..at] that <see cref="CachedPiece"/> did not answer, after the n ids written
    /// in place before it; returns where the ids after it go (room for those up to exact).
    /// Pieces of one and two bytes, which <see cref="EncodePiece"/> answers from its own tables, are
    /// entered into the rank cache too, so that it answers them next time (and pieces of 9 to 16
    /// bytes go into the word cache on their way through <see cref="EncodeLongerPiece"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref int EncodeOtherPiece(scoped in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> text,
                                     int start, int at, int exact, int n, scoped ref TokenWriter w)
    {
        w.Advance(n);
        ReadOnlySpan<byte> piece = text[start..at];
        if (piece.Length <= 2) ranks.GetPiece(piece, out _);
        EncodePiece(ranks, pieces, piece, ref w);
        // Every piece so far took at most one id per byte, so the room reserved for the run is still there.
        Span<int> room = w.Reserve(exact - at);
        if (room.IsEmpty) throw new InvalidOperationException("the output room reserved for a run of pieces shrank");
        return ref MemoryMarshal.GetReference(room);
    }

    /// <summary>As <see cref="EncodeMarked"/>, through <see cref="TokenWriter.Add"/>: for output without room for every byte.</summary>
    private void EncodeMarkedChecked(in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> text, int pos, int exact,
                                     scoped ReadOnlySpan<ulong> starts, ref TokenWriter w)
    {
        int start = pos;
        int words = (exact - pos + 63) >> 6;
        for (int k = 0; k < words; k++)
        {
            ulong bits = starts[k];
            if (k == 0) bits &= ~1UL;
            for (; bits != 0; bits &= bits - 1)
            {
                int at = pos + (k << 6) + BitOperations.TrailingZeroCount(bits);
                if (at >= exact) break;
                EncodePiece(ranks, pieces, text[start..at], ref w);
                start = at;
            }
        }
        EncodePiece(ranks, pieces, text[start..exact], ref w);
    }

    /// <summary>
    /// One piece: most are one token (one probe of the rank cache or table answers them); the rest
    /// were usually merged before, so the piece cache answers them; only new pieces are merged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncodePiece(in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> piece, ref TokenWriter w)
    {
        int whole;
        if (piece.Length == 1)
        {
            whole = _ranks.ByteRank(piece[0]);
            if (whole < 0) throw new InvalidDataException($"the encoding has no token for the byte 0x{piece[0]:X2}");
        }
        else if (piece.Length == 2) whole = _ranks.PairRank(piece[0], piece[1]);
        else if (piece.Length <= 8)
        {
            // Zipf: the per-thread rank cache holds the common words, and how it splits those that are not one token.
            whole = ranks.GetPiece(piece, out int second);
            if (second >= 0)
            {
                w.Add(whole);
                w.Add(second);
                return;
            }
        }
        else if (piece.Length <= PieceCache.MaxBytes)
        {
            EncodeLongerPiece(ranks, pieces, piece, ref w);
            return;
        }
        else if (piece.Length <= LongPieceCache.MaxBytes)
        {
            EncodeLongPiece(ranks, piece, ref w);
            return;
        }
        else whole = _ranks.Get(piece);
        if (whole >= 0) w.Add(whole);
        else EncodeMerged(ranks, pieces, piece, ref w);
    }

    /// <summary>
    /// 9 to 32 bytes: the piece cache first, for both outcomes (one token or a merge result); for 9 to
    /// 16 bytes its front tier (<see cref="PieceCache.Words"/>) before that, which then keeps the result.
    /// It costs one cache line where the rank table costs a slot and the key's bytes in the arena (two
    /// misses), and a piece that is not one token would then have probed the piece cache as well. (While
    /// the cache mostly misses, it answers and keeps only a sample of pieces: see PieceCache.Consults.)
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EncodeLongerPiece(in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> piece, ref TokenWriter w)
    {
        bool word = WordCache.Fits(piece);
        if (word && pieces.Words.TryWrite(piece, ref w))
        {
            pieces.CountHits(1);
            return;
        }
        int before = w.Count;
        var key = new PieceCache.Key(piece);
        if (!pieces.TryWrite(key, ref w))
        {
            int whole = _ranks.Get(piece);
            if (whole >= 0)
            {
                w.Add(whole);
                pieces.Store(key, [whole]);
            }
            else MergeAndStore(ranks, pieces, key, piece, ref w);
        }
        if (word && w.Fits) pieces.Words.Store(piece, w.Written[before..]);
    }

    /// <summary>
    /// 33 to 256 bytes: rare, but mostly the same few (separator lines, indentation), each a merge of
    /// a microsecond or more; the long-piece cache answers them after their first time.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EncodeLongPiece(in BytePairMerger.Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter w)
    {
        LongPieceCache cache = LongPieceCache.For(_ranks);
        int set = LongPieceCache.SetOf(piece);
        if (cache.TryWrite(set, piece, ref w)) return;
        int before = w.Count;
        int whole = _ranks.Get(piece);
        if (whole >= 0) w.Add(whole);
        else MergePiece(ranks, piece, ref w);
        if (w.Fits) cache.Store(set, piece, w.Written[before..]);
    }

    /// <summary>A piece that is not one token: the piece cache, else the merge (whose result it then caches).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EncodeMerged(in BytePairMerger.Ranks ranks, PieceCache pieces, ReadOnlySpan<byte> piece, ref TokenWriter w)
    {
        if (piece.Length == 2 || piece.Length > PieceCache.MaxBytes)
        {
            MergePiece(ranks, piece, ref w);
            return;
        }
        int before = w.Count;
        var key = new PieceCache.Key(piece);
        // While the piece cache samples (most pieces new: random symbols, rare words), a piece outside
        // the sample goes straight to the merge, without the calls that would ask the cache and not store.
        if (!pieces.Consults(key)) MergePiece(ranks, piece, ref w);
        else if (!pieces.TryWrite(key, ref w)) MergeAndStore(ranks, pieces, key, piece, ref w);
        if (w.Count - before == 2 && w.Fits)   // (pieces here have 3 to 8 bytes)
            ranks.StoreSplit(piece, w.Written[before], w.Written[before + 1]);
    }

    private void MergeAndStore(in BytePairMerger.Ranks ranks, PieceCache pieces, in PieceCache.Key key, ReadOnlySpan<byte> piece, ref TokenWriter w)
    {
        int before = w.Count;
        MergePiece(ranks, piece, ref w);
        if (w.Fits) pieces.Store(key, w.Written[before..]);
    }

    /// <summary>The one place the encoder hands a piece to the merger.</summary>
    private void MergePiece(in BytePairMerger.Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter w) =>
        BytePairMerger.Merge(ranks, piece, ref w, _longPieces);

    private static void ValidateUtf8(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8)) throw InvalidUtf8Exception.At(utf8);
    }

    // ---- batch ------------------------------------------------------------------------------------

    /// <summary>Gives the bytes of document <paramref name="index"/> (must stay valid during the call).</summary>
    public delegate ReadOnlySpan<byte> DocumentSource(int index);

    /// <summary>
    /// Encodes n documents with one policy over <paramref name="threads"/> threads (&lt;= 0: all cores)
    /// into one flat buffer: document i's ids are output[offsets[i]..offsets[i + 1]] (offsets holds n + 1).
    /// Returns the id total, or minus it when it exceeds <paramref name="capacity"/> (the offsets are
    /// then filled, the ids are not). A capacity of at least the byte total always suffices (every token
    /// covers at least one byte) and is the fast path: each chunk of documents is encoded straight into
    /// the buffer (<see cref="ChunkedBatch.RunBounded"/>). Errors name the document.
    /// </summary>
    public unsafe long EncodeBatch(int n, DocumentSource docs, SpecialPolicy policy, int* output, long capacity,
                                   long* offsets, int threads)
    {
        if (offsets == null) throw new ArgumentException("offsets is NULL (it needs n + 1 entries)");
        var lengths = new long[n];
        long totalBytes = 0;
        for (int i = 0; i < n; i++) totalBytes += lengths[i] = docs(i).Length;
        threads = ChunkedBatch.Threads(threads);
        if (capacity >= totalBytes)
        {
            if (output == null && totalBytes > 0) throw new ArgumentException("out is NULL");
            return ChunkedBatch.RunBounded(lengths, output, offsets, threads, (i, dest, room) =>
            {
                var w = new TokenWriter(new Span<int>(dest, (int)room));   // room = the document's bytes (< 2^31)
                EncodeDocument(docs, i, policy, ref w);
                return w.Count;
            });
        }
        // Smaller than the bound (a size query): encode into per-chunk buffers, copy only if it fits.
        int[][] chunkIds = EncodeChunks(lengths, docs, policy, threads, offsets, out int[] chunkStart);
        ChunkedBatch.FinishOffsets(offsets, n);
        long total = offsets[n];
        if (total > capacity) return -total;
        if (output == null && total > 0) throw new ArgumentException("out is NULL");
        for (int c = 0; c < chunkIds.Length; c++)
            chunkIds[c].CopyTo(new Span<int>(output + offsets[chunkStart[c]], chunkIds[c].Length));
        return total;
    }

    /// <summary>
    /// Encodes n documents with one policy over <paramref name="threads"/> threads (&lt;= 0: all cores),
    /// one array per document. Errors name the document.
    /// </summary>
    public unsafe int[][] EncodeBatch(int n, DocumentSource docs, SpecialPolicy policy, int threads)
    {
        var lengths = new long[n];
        for (int i = 0; i < n; i++) lengths[i] = docs(i).Length;
        var counts = new long[n + 1];
        int[][] chunkIds;
        int[] chunkStart;
        fixed (long* c = counts)
            chunkIds = EncodeChunks(lengths, docs, policy, ChunkedBatch.Threads(threads), c, out chunkStart);
        var results = new int[n][];
        for (int c = 0; c < chunkIds.Length; c++)
        {
            int at = 0;
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                int k = (int)counts[i + 1];
                results[i] = chunkIds[c].AsSpan(at, k).ToArray();
                at += k;
            }
        }
        return results;
    }

    /// <summary>Each chunk's ids in one array (per-document counts in counts[i + 1]): memory follows the
    /// ids, not the byte bound, for callers that cannot give a buffer of the byte total.</summary>
    private unsafe int[][] EncodeChunks(long[] lengths, DocumentSource docs, SpecialPolicy policy, int threads,
                                        long* counts, out int[] chunkStart)
    {
        int[] starts = chunkStart = ChunkedBatch.SplitByBytes(lengths, ChunkedBatch.ChunkCount(lengths.Length, threads));
        var chunkIds = new int[starts.Length - 1][];
        nint countP = (nint)counts;
        ChunkedBatch.ForEachChunk(chunkIds.Length, threads, c =>
        {
            long bytes = 0;
            for (int i = starts[c]; i < starts[c + 1]; i++) bytes += lengths[i];
            var w = TokenWriter.Growing((int)Math.Min(bytes / 3 + 16, 1 << 20));
            try
            {
                for (int i = starts[c]; i < starts[c + 1]; i++)
                {
                    int before = w.Count;
                    EncodeDocument(docs, i, policy, ref w);
                    ((long*)countP)[i + 1] = w.Count - before;
                }
                chunkIds[c] = w.Written.ToArray();
            }
            finally { w.Dispose(); }
        });
        return chunkIds;
    }

    private void EncodeDocument(DocumentSource docs, int i, SpecialPolicy policy, ref TokenWriter w)
    {
        ReadOnlySpan<byte> text = docs(i);
        if (!Utf8.IsValid(text))
        {
            var inner = InvalidUtf8Exception.At(text);
            throw new InvalidUtf8Exception($"document {i}: {inner.Message}", inner.Offset);
        }
        try
        {
            EncodeValid(text, policy, ref w);
        }
        catch (DisallowedSpecialException e)
        {
            throw new DisallowedSpecialException(e.Token, e.Offset, i);
        }
    }

    // ---- decoding ---------------------------------------------------------------------------------

    /// <summary>
    /// The bytes of the ids concatenated: returns the total length; writes them when it fits in
    /// <paramref name="output"/>. Unknown ids throw <see cref="UnknownTokenIdException"/>.
    /// </summary>
    public long Decode(ReadOnlySpan<int> ids, Span<byte> output)
    {
        long total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)NVocab || _decodeOffset[id] == int.MinValue) throw new UnknownTokenIdException(id, i);
            total += _decodeLength[id];
        }
        if (total > output.Length) return total;
        int at = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> bytes = TokenBytesUnchecked(id);
            bytes.CopyTo(output[at..]);
            at += bytes.Length;
        }
        return total;
    }

    /// <summary>Convenience: decoded bytes as a new array.</summary>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        long n = Decode(ids, Span<byte>.Empty);
        var bytes = new byte[n];
        Decode(ids, bytes);
        return bytes;
    }

    /// <summary>The bytes of one token (ordinary or special); unknown ids throw.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id)
    {
        if ((uint)id >= (uint)NVocab || _decodeOffset[id] == int.MinValue) throw new UnknownTokenIdException(id, -1);
        return TokenBytesUnchecked(id);
    }

    private ReadOnlySpan<byte> TokenBytesUnchecked(int id)
    {
        int off = _decodeOffset[id];
        return off >= 0 ? new ReadOnlySpan<byte>(_arena, off, _decodeLength[id]) : _specials.Bytes(~off);
    }

    /// <summary>The id of bytes that are exactly one token: an ordinary token first, then a special one.</summary>
    public bool TryEncodeSingleToken(ReadOnlySpan<byte> bytes, out int id)
    {
        id = bytes.IsEmpty ? -1 : _ranks.Get(bytes);
        if (id >= 0) return true;
        int k = _specials.IndexOf(bytes);
        id = k >= 0 ? _specials.Ids[k] : -1;
        return k >= 0;
    }
}
