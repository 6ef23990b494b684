using System.Buffers;
using Crayon.Bpe;

namespace Crayon.Training;

/// <summary>
/// A trained byte-level BPE vocabulary: token bytes by rank (0..255 are the bytes themselves, rank
/// 256 + k is merge k) and the encoder over them. Encoding is tiktoken's, by the BPE engine's
/// <see cref="BytePairMerger"/>: split with the pattern, a chunk that is one token is emitted whole,
/// otherwise adjacent parts whose concatenation has the lowest rank are joined until none is a
/// token. Immutable and thread-safe.
/// </summary>
internal sealed class MergeEncoder
{
    private readonly byte[] _bytes;       // token bytes back to back, by rank
    private readonly int[] _offsets;      // token r is _bytes[_offsets[r] .. _offsets[r + 1])
    private readonly ChunkTable _ranks;   // bytes → rank (a later rank wins for repeated bytes, as in a dict)
    private readonly RankTable _merger;   // the same map for the BPE engine's merger
    private readonly int[] _merges;

    public IChunkSplitter Splitter { get; }

    /// <summary>Builds the vocabulary of 256 bytes + <paramref name="merges"/> (flattened (left, right) ids).</summary>
    public MergeEncoder(IChunkSplitter splitter, int[] merges)
    {
        Splitter = splitter;
        _merges = merges;
        int n = 256 + merges.Length / 2;
        _offsets = new int[n + 1];
        long total = 256;
        var lengths = new long[n];
        for (int i = 0; i < 256; i++) lengths[i] = 1;
        for (int k = 0; k < merges.Length / 2; k++)
        {
            lengths[256 + k] = lengths[merges[2 * k]] + lengths[merges[2 * k + 1]];
            total += lengths[256 + k];
        }
        if (total > Array.MaxLength) throw new OutOfMemoryException("the vocabulary holds more than 2 GiB of token bytes");
        _bytes = new byte[total];
        int at = 0;
        for (int r = 0; r < n; r++)
        {
            _offsets[r] = at;
            if (r < 256) _bytes[at] = (byte)r;
            else
            {
                ReadOnlySpan<byte> left = Token(merges[2 * (r - 256)]), right = Token(merges[2 * (r - 256) + 1]);
                left.CopyTo(_bytes.AsSpan(at));
                right.CopyTo(_bytes.AsSpan(at + left.Length));
            }
            at += (int)lengths[r];
            _offsets[r + 1] = at;
        }
        _ranks = BuildRankTable();
        _merger = BuildMergerTable();
    }

    /// <summary>Rebuilds a vocabulary from token bytes in rank order (a .tiktoken file written by
    /// <see cref="BpeTrainer"/>): ranks 0..255 must be the single bytes 0..255, and every later token
    /// must be the BPE merge of two earlier ones; otherwise <see cref="InvalidDataException"/>.</summary>
    public static MergeEncoder FromTokens(IChunkSplitter splitter, IReadOnlyList<byte[]> tokens)
    {
        if (tokens.Count < 256) throw new InvalidDataException($"a byte-level BPE vocabulary has at least 256 tokens; got {tokens.Count}");
        for (int b = 0; b < 256; b++)
            if (tokens[b].Length != 1 || tokens[b][0] != b)
                throw new InvalidDataException($"rank {b} must be the single byte {b} (rustbpe's layout)");
        var merges = new int[2 * (tokens.Count - 256)];
        // Each token's pair is found by BPE-encoding its bytes with the ranks below it (tiktoken's
        // way to recover merges); the rank table grows one token at a time.
        var table = new ChunkTable(tokens.Count);
        for (int b = 0; b < 256; b++) table.Set(tokens[b], b);
        var ids = new List<int>();
        for (int r = 256; r < tokens.Count; r++)
        {
            ids.Clear();
            EncodeChunk(tokens[r], ids, table);
            if (ids.Count != 2)
                throw new InvalidDataException($"token of rank {r} is not the merge of two earlier tokens");
            merges[2 * (r - 256)] = ids[0];
            merges[2 * (r - 256) + 1] = ids[1];
            table.Set(tokens[r], r);
        }
        return new MergeEncoder(splitter, merges);
    }

    private ChunkTable BuildRankTable()
    {
        var table = new ChunkTable(VocabSize);
        for (int r = 0; r < VocabSize; r++) table.Set(Token(r), r);
        return table;
    }

    // Two merges can make the same bytes; like a {bytes: rank} dict, the later rank is the one encoding
    // produces (the earlier still decodes).
    private RankTable BuildMergerTable()
    {
        var offsets = new List<int>(VocabSize);
        var lengths = new List<int>(VocabSize);
        var ranks = new List<int>(VocabSize);
        for (int r = 0; r < VocabSize; r++)
        {
            if (_ranks.Find(Token(r)) != r) continue;
            offsets.Add(_offsets[r]);
            lengths.Add(_offsets[r + 1] - _offsets[r]);
            ranks.Add(r);
        }
        return new RankTable(_bytes, offsets.ToArray(), lengths.ToArray(), ranks.ToArray());
    }

    public int VocabSize => _offsets.Length - 1;

    /// <summary>Merges as flattened (left, right) ids: merge k made id 256 + k.</summary>
    public ReadOnlySpan<int> Merges => _merges;

    public int NumMerges => _merges.Length / 2;

    public ReadOnlySpan<byte> Token(int rank) => _bytes.AsSpan(_offsets[rank], _offsets[rank + 1] - _offsets[rank]);

    /// <summary>All token bytes back to back, in rank order, and where each starts.</summary>
    public ReadOnlySpan<byte> AllTokenBytes => _bytes;
    public ReadOnlySpan<int> TokenOffsets => _offsets;

    /// <summary>Appends the ids of <paramref name="utf8"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<byte> utf8, List<int> output) => Splitter.Split(utf8, new EncodingSink(this, output));

    private sealed class EncodingSink(MergeEncoder encoder, List<int> output) : IChunkSink
    {
        // The engine's per-thread rank cache; a sink lives for one Encode call on one thread.
        private readonly BytePairMerger.Ranks _ranks = new(encoder._merger, RankCache.For(encoder._merger));

        public void OnChunk(ReadOnlySpan<byte> chunk) => EncodePiece(_ranks, chunk, output);
    }

    private static void EncodePiece(in BytePairMerger.Ranks ranks, ReadOnlySpan<byte> piece, List<int> output)
    {
        int whole = ranks.Get(piece);
        if (whole >= 0) { output.Add(whole); return; }
        // A piece never has more ids than bytes.
        int[]? rented = null;
        Span<int> ids = piece.Length <= 256 ? stackalloc int[piece.Length] : (rented = ArrayPool<int>.Shared.Rent(piece.Length));
        try
        {
            var w = new TokenWriter(ids);
            BytePairMerger.Merge(ranks, piece, ref w);
            foreach (int id in w.Written) output.Add(id);
        }
        finally
        {
            if (rented != null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>Recovers merges while loading: BPE over a rank table that grows one token at a
    /// time (the engine's <see cref="RankTable"/> is immutable). Quadratic in the token length,
    /// which is fine for vocabulary tokens.</summary>
    private static void EncodeChunk(ReadOnlySpan<byte> chunk, List<int> output, ChunkTable ranks)
    {
        long whole = ranks.Find(chunk);
        if (whole >= 0) { output.Add((int)whole); return; }
        int n = chunk.Length;
        // parts[i] is where part i starts; pairRank[i] is the rank of parts i and i + 1 joined.
        int[] rented = ArrayPool<int>.Shared.Rent(2 * (n + 1));
        try
        {
            Span<int> parts = rented.AsSpan(0, n + 1);
            Span<int> pairRank = rented.AsSpan(n + 1, n + 1);
            for (int i = 0; i <= n; i++) parts[i] = i;
            int count = n;   // number of parts
            for (int i = 0; i + 1 < count; i++) pairRank[i] = RankOf(chunk, parts[i], parts[i + 2], ranks);
            while (count > 1)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < count; i++)
                    if (pairRank[i] < bestRank) { bestRank = pairRank[i]; best = i; }
                if (best < 0) break;
                // Join parts best and best + 1.
                for (int i = best + 1; i < count; i++) parts[i] = parts[i + 1];
                for (int i = best + 1; i + 1 < count - 1; i++) pairRank[i] = pairRank[i + 1];
                count--;
                if (best + 1 < count) pairRank[best] = RankOf(chunk, parts[best], parts[best + 2], ranks);
                if (best > 0) pairRank[best - 1] = RankOf(chunk, parts[best - 1], parts[best + 1], ranks);
            }
            for (int i = 0; i < count; i++)
                output.Add((int)ranks.Find(chunk[parts[i]..parts[i + 1]]));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static int RankOf(ReadOnlySpan<byte> chunk, int from, int to, ChunkTable ranks)
    {
        long r = ranks.Find(chunk[from..to]);
        return r < 0 ? int.MaxValue : (int)r;
    }

    /// <summary>Number of bytes <paramref name="ids"/> decode to; an unknown id is a
    /// <see cref="KeyNotFoundException"/> naming it and its position.</summary>
    public long DecodedLength(ReadOnlySpan<int> ids)
    {
        long total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)VocabSize)
                throw new Crayon.Tokenization.UnknownTokenIdException(id, i, VocabSize);
            total += _offsets[id + 1] - _offsets[id];
        }
        return total;
    }

    /// <summary>Writes the bytes of <paramref name="ids"/> (validated by <see cref="DecodedLength"/>).</summary>
    public void DecodeInto(ReadOnlySpan<int> ids, Span<byte> output)
    {
        int at = 0;
        foreach (int id in ids)
        {
            ReadOnlySpan<byte> t = Token(id);
            t.CopyTo(output[at..]);
            at += t.Length;
        }
    }
}
