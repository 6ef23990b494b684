namespace Crayon.Streaming;

/// <summary>
/// Longest match over one long stretch of a document on several threads, exactly. Longest match has
/// no local cut in general (a token may start anywhere), so each chunk is matched speculatively from
/// its own start, and the chunks are stitched in order: where the true tokenization (carried from the
/// left) reaches a position the chunk also started a token at, the chunk's tokens from there are the
/// true ones (matching from a token start depends only on the bytes after it). Where it does not,
/// the text is matched again from the true position until the two meet — in practice within a token
/// or two. Only profiles without normalisation (positions are byte positions of the text).
/// </summary>
internal sealed unsafe class ParallelLongestMatch(LongestMatchEngine engine, int workers, int minChunkBytes)
{
    private readonly IdBuffer _repair = new();
    private IdBuffer[] _ids = [];
    private int[][] _starts = [];

    /// <summary>
    /// Appends the final ids of text, which starts at a token boundary: all of them when textEnds,
    /// else those of tokens starting at least max_token_bytes before the end. Returns the bytes
    /// they cover (the next token starts there).
    /// </summary>
    public int Run(ReadOnlySpan<byte> text, bool textEnds, IdBuffer output)
    {
        int n = text.Length, lookahead = engine.MaxTokenBytes;
        int keepBelow = textEnds ? n : n - lookahead + 1;   // tokens starting below this are decided
        if (keepBelow <= 0) return 0;
        int chunks = (int)Math.Clamp((long)n / Math.Max(1, minChunkBytes), 1, Math.Max(1, 4 * workers));
        if (_ids.Length < chunks)
        {
            _ids = new IdBuffer[chunks];
            for (int k = 0; k < chunks; k++) _ids[k] = new IdBuffer();
            _starts = new int[chunks][];
        }
        fixed (byte* p = text)
        {
            nint at = (nint)p;
            void Chunk(int k)
            {
                int from = (int)((long)n * k / chunks), bound = Math.Min((int)((long)n * (k + 1) / chunks), keepBelow);
                IdBuffer ids = _ids[k];
                ids.Clear();
                if (from >= bound) { _starts[k] = []; return; }
                int windowEnd = (int)Math.Min(n, (long)bound + lookahead);
                engine.Run((byte*)at + from, windowEnd - from, ids);
                _starts[k] = Starts(ids, from, bound, out int kept);
                ids.Truncate(kept);
            }
            if (chunks == 1 || workers == 1) for (int k = 0; k < chunks; k++) Chunk(k);
            else Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = workers }, Chunk);

            int t = 0;   // where the next true token starts
            for (int k = 0; k < chunks && t < keepBelow; k++)
            {
                int[] starts = _starts[k];
                if (starts.Length == 0 || t > starts[^1]) continue;
                int j = Array.BinarySearch(starts, t);
                if (j < 0) t = Repair(p, n, textEnds, keepBelow, t, starts, output, out j);
                if (j < 0) continue;   // the repair went past this chunk
                output.AddRange(_ids[k].Span[j..]);
                int last = starts[^1];
                t = last + engine.Profile.Image.TokenAt(_ids[k].Span[^1]).Length;
            }
            // The tail no chunk covered as a decided token (only when the stitching ran past the last chunk's tokens).
            if (t < keepBelow) t = Repair(p, n, textEnds, keepBelow, t, [], output, out _);
            return t;
        }
    }

    /// <summary>Token start positions (absolute) of ids matched from `from`; kept = tokens starting below bound.</summary>
    private int[] Starts(IdBuffer ids, int from, int bound, out int kept)
    {
        var image = engine.Profile.Image;
        ReadOnlySpan<int> span = ids.Span;
        var starts = new int[span.Length];
        int pos = from, k = 0;
        for (; k < span.Length && pos < bound; k++)
        {
            starts[k] = pos;
            int len = image.TokenAt(span[k]).Length;
            if (len <= 0) throw new Dat.DatFormatException($"invalid .dat: token {span[k]} has no bytes ({engine.Describe()})");
            pos += len;
        }
        kept = k;
        return starts.AsSpan(0, k).ToArray();
    }

    /// <summary>
    /// Matches from the true position t until a token starts where the chunk (starts) also started
    /// one; appends the true ids before that point. Returns the new true position; j is the chunk's
    /// index there, or -1 when the chunk was passed (or text ran out) first.
    /// </summary>
    private int Repair(byte* p, int n, bool textEnds, int keepBelow, int t, int[] starts, IdBuffer output, out int j)
    {
        int lookahead = engine.MaxTokenBytes;
        var image = engine.Profile.Image;
        int chunkEnd = starts.Length == 0 ? int.MaxValue : starts[^1];
        for (long window = 4L * lookahead + 64; ; window *= 2)
        {
            int windowEnd = (int)Math.Min(n, t + window);
            bool complete = windowEnd == n && textEnds;
            _repair.Clear();
            engine.Run(p + t, windowEnd - t, _repair);
            int q = t;
            foreach (int id in _repair.Span)
            {
                if (q >= keepBelow || (!complete && q + lookahead > windowEnd)) break;   // undecided from here
                if (q > t && q <= chunkEnd && (j = Array.BinarySearch(starts, q)) >= 0) return q;
                if (q > chunkEnd) { j = -1; return q; }
                output.Add(id);
                q += image.TokenAt(id).Length;
            }
            if (q >= keepBelow || complete || q > chunkEnd) { j = -1; return q; }
            t = q;   // decided up to q: go on from there with a larger window
        }
    }
}
