namespace Crayon.Training;

/// <summary>
/// The BPE merge loop over counted unique chunks. Semantics (rustbpe's): each step merges the most
/// frequent adjacent pair, ties going to the smaller (left id, right id); inside a chunk the pair is
/// merged left to right without overlap ("a a a" → "X a"); the new id is 256 + merges so far; the
/// loop stops early when no pair is left.
///
/// Why it is fast: pair counts are updated only where a merge changes a chunk (each pair keeps the
/// list of chunks it occurs in), and the next pair comes from a max-heap with lazy deletion: a heap
/// entry whose count is stale is refreshed when it surfaces. Counts only grow through new pairs,
/// which are pushed as they grow, so the top entry with a current count is always the true maximum.
/// Memory is proportional to the unique chunks and the pairs they hold, not to the corpus.
/// </summary>
internal static class MergeLoop
{
    /// <summary>Per pair: its total count over all chunks and the chunks it (may) occur in.
    /// The chunk list may hold chunks that no longer contain the pair; merging there is a no-op.</summary>
    private sealed class PairInfo
    {
        public long Count;
        public List<int> Words = new(2);
        public int TouchedAt = -1;   // merge step that last saw this pair grow (dedups the push list)
    }

    private readonly struct HeapEntry(long count, long pair)
    {
        public readonly long Count = count;
        public readonly long Pair = pair;
    }

    /// <summary>Max count first, then the smaller pair (pair keys compare as (left, right)).</summary>
    private sealed class EntryOrder : IComparer<HeapEntry>
    {
        public static readonly EntryOrder Instance = new();
        public int Compare(HeapEntry x, HeapEntry y)
        {
            int c = y.Count.CompareTo(x.Count);
            return c != 0 ? c : x.Pair.CompareTo(y.Pair);
        }
    }

    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;
    public static int Left(long key) => (int)(key >> 32);
    public static int Right(long key) => (int)(uint)key;

    /// <summary>
    /// Runs up to <paramref name="maxMerges"/> merges over the chunks of <paramref name="chunks"/> and
    /// returns them as (left, right) id pairs, flattened: merge k made id 256 + k from
    /// result[2k], result[2k + 1]. <paramref name="progress"/>(done, total) returning false cancels
    /// (<see cref="OperationCanceledException"/>). <paramref name="counts"/> receives each merge's
    /// pair count. <paramref name="byteOrder"/> (a permutation of 0..255, or null for identity) is
    /// the id byte b takes while comparing tied pairs, to reproduce trainers that number bytes
    /// differently; the merges returned always use byte ids = byte values.
    /// </summary>
    public static int[] Run(ChunkTable chunks, int maxMerges, Func<long, long, bool>? progress,
                            List<long>? counts = null, byte[]? byteOrder = null)
    {
        var inverse = new int[256];
        for (int b = 0; b < 256; b++) inverse[byteOrder?[b] ?? b] = b;
        // Every unique chunk becomes a word: its bytes as ids 0..255, stored back to back.
        int nWords = chunks.Count;
        long totalSymbols = 0;
        for (int w = 0; w < nWords; w++) totalSymbols += chunks.Chunk(w).Length;
        if (totalSymbols > Array.MaxLength)
            throw new OutOfMemoryException("the unique chunks hold more than 2^31 bytes");
        var symbols = new int[totalSymbols];
        var start = new int[nWords];
        var length = new int[nWords];
        var weight = new long[nWords];
        int pos = 0;
        for (int w = 0; w < nWords; w++)
        {
            ReadOnlySpan<byte> bytes = chunks.Chunk(w);
            start[w] = pos;
            length[w] = bytes.Length;
            weight[w] = chunks.CountOf(w);
            for (int i = 0; i < bytes.Length; i++) symbols[pos++] = byteOrder == null ? bytes[i] : byteOrder[bytes[i]];
        }

        // Initial pair counts and where each pair occurs.
        var pairs = new Dictionary<long, PairInfo>();
        for (int w = 0; w < nWords; w++)
        {
            int s = start[w], n = length[w];
            for (int i = 0; i + 1 < n; i++)
            {
                long key = Key(symbols[s + i], symbols[s + i + 1]);
                if (!pairs.TryGetValue(key, out PairInfo? info))
                    pairs.Add(key, info = new PairInfo());
                info.Count += weight[w];
                if (info.Words.Count == 0 || info.Words[^1] != w) info.Words.Add(w);
            }
        }

        var heap = new PriorityQueue<HeapEntry, HeapEntry>(pairs.Count, EntryOrder.Instance);
        foreach (var (key, info) in pairs)
            heap.Enqueue(new HeapEntry(info.Count, key), new HeapEntry(info.Count, key));

        var merges = new List<int>(Math.Min(maxMerges, 1 << 16) * 2);
        var grown = new List<long>();
        var visited = new int[nWords];           // merge step + 1 that last rewrote the word
        long reportEvery = Math.Max(1, maxMerges / 1000);
        int done = 0;
        while (done < maxMerges && heap.TryDequeue(out HeapEntry top, out _))
        {
            if (!pairs.TryGetValue(top.Pair, out PairInfo? best))
                continue;                          // already merged: a leftover entry
            if (top.Count != best.Count)
            {
                if (best.Count > 0 && top.Count > best.Count)
                    heap.Enqueue(new HeapEntry(best.Count, top.Pair), new HeapEntry(best.Count, top.Pair));
                continue;                          // stale; a fresher entry exists or was just pushed
            }
            if (best.Count <= 0) break;

            int a = Left(top.Pair), b = Right(top.Pair), id = 256 + done;
            merges.Add(a < 256 ? inverse[a] : a);
            merges.Add(b < 256 ? inverse[b] : b);
            counts?.Add(best.Count);
            pairs.Remove(top.Pair);                // (a, b) can never form again: merges only make new ids
            grown.Clear();

            foreach (int w in best.Words)
            {
                if (visited[w] == done + 1) continue;
                visited[w] = done + 1;
                MergeWord(symbols, start[w], ref length[w], a, b, id, w, weight[w], pairs, grown, done);
            }

            foreach (long key in grown)
            {
                long c = pairs[key].Count;
                if (c > 0) heap.Enqueue(new HeapEntry(c, key), new HeapEntry(c, key));
            }
            done++;
            if (progress != null && (done % reportEvery == 0 || done == maxMerges) && !progress(done, maxMerges))
                throw new OperationCanceledException("cancelled");
        }
        if (progress != null && done < maxMerges && done % reportEvery != 0 && !progress(done, maxMerges))
            throw new OperationCanceledException("cancelled");
        return merges.ToArray();
    }

    /// <summary>
    /// Merges every non-overlapping (a, b), left to right, inside one word, in place, and applies the
    /// pair-count changes this causes (times the word's weight).
    /// </summary>
    private static void MergeWord(int[] symbols, int s, ref int n, int a, int b, int id, int w, long weight,
                                  Dictionary<long, PairInfo> pairs, List<long> grown, int step)
    {
        int write = s, end = s + n;
        int read = s;
        while (read < end)
        {
            if (read + 1 < end && symbols[read] == a && symbols[read + 1] == b)
            {
                if (write > s)
                {
                    int x = symbols[write - 1];    // already-rewritten left neighbour (may be id)
                    Change(pairs, grown, Key(x, a), -weight, w, step);
                    Change(pairs, grown, Key(x, id), weight, w, step);
                }
                if (read + 2 < end)
                {
                    int y = symbols[read + 2];
                    Change(pairs, grown, Key(b, y), -weight, w, step);
                    Change(pairs, grown, Key(id, y), weight, w, step);
                }
                symbols[write++] = id;
                read += 2;
            }
            else
            {
                symbols[write++] = symbols[read++];
            }
        }
        n = write - s;
    }

    private static void Change(Dictionary<long, PairInfo> pairs, List<long> grown, long key, long delta, int w, int step)
    {
        if (!pairs.TryGetValue(key, out PairInfo? info))
        {
            if (delta < 0) return;   // the merged pair itself, already removed
            pairs.Add(key, info = new PairInfo());
        }
        info.Count += delta;
        if (delta > 0)
        {
            if (info.Words.Count == 0 || info.Words[^1] != w) info.Words.Add(w);
            if (info.TouchedAt != step) { info.TouchedAt = step; grown.Add(key); }
        }
    }
}
