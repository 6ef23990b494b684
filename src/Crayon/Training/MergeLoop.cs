using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    /// <summary>
    /// Per pair (by dense pair index): its total count over all chunks, the chunks it (may) occur in,
    /// and the merge step that last saw it grow (dedups the push list). The chunk lists may hold chunks
    /// that no longer contain the pair; merging there is a no-op. Kept as arrays of plain values so
    /// the garbage collector has almost no references to trace (object-per-pair made gen-2
    /// collections the dominant cost on 30k-merge runs).
    /// </summary>
    private sealed class PairTable
    {
        private readonly Dictionary<long, int> _index = new(PairKeyComparer.Instance);
        public long[] Count = new long[1024];
        public int[] TouchedAt = new int[1024];
        public int[][] Words = new int[1024][];
        public int[] WordCount = new int[1024];
        private int _n;

        public int Distinct => _index.Count;

        public bool TryFind(long key, out int id) => _index.TryGetValue(key, out id);

        public int GetOrAdd(long key)
        {
            ref int slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, key, out bool exists);
            if (exists) return slot;
            if (_n == Count.Length)
            {
                int size = _n * 2;
                Array.Resize(ref Count, size);
                Array.Resize(ref TouchedAt, size);
                Array.Resize(ref Words, size);
                Array.Resize(ref WordCount, size);
            }
            slot = _n;
            TouchedAt[_n] = -1;
            return _n++;
        }

        public void Remove(long key, int id)
        {
            _index.Remove(key);
            Words[id] = null!;          // release the chunk list; the id is never reused
        }

        /// <summary>Adds chunk w to the pair's list unless it was the last one added.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void AddWord(int id, int w)
        {
            int n = WordCount[id];
            int[] list = Words[id];
            if (n > 0 && list[n - 1] == w) return;
            if (list == null || n == list.Length)
            {
                Array.Resize(ref list, n == 0 ? 4 : n * 2);
                Words[id] = list;
            }
            list[n] = w;
            WordCount[id] = n + 1;
        }
    }

    /// <summary>long.GetHashCode is left ^ right for a pair key, which collides for (a, b) and
    /// (b, a) and for whole families of merged ids; a multiplicative mix spreads them.</summary>
    private sealed class PairKeyComparer : IEqualityComparer<long>
    {
        public static readonly PairKeyComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
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
    /// differently; the merges returned always use byte ids = byte values. The loop also stops
    /// when the best pair occurs fewer than <paramref name="minCount"/> times.
    /// </summary>
    public static int[] Run(ChunkTable chunks, int maxMerges, Func<long, long, bool>? progress,
                            List<long>? counts = null, byte[]? byteOrder = null, long minCount = 1)
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
        var pairs = new PairTable();
        var initial = new List<long>();
        for (int w = 0; w < nWords; w++)
        {
            int s = start[w], n = length[w];
            for (int i = 0; i + 1 < n; i++)
            {
                long key = Key(symbols[s + i], symbols[s + i + 1]);
                int id = pairs.GetOrAdd(key);
                if (pairs.Count[id] == 0) initial.Add(key);
                pairs.Count[id] += weight[w];
                pairs.AddWord(id, w);
            }
        }

        var heap = new PriorityQueue<HeapEntry, HeapEntry>(initial.Count, EntryOrder.Instance);
        foreach (long key in initial)
        {
            pairs.TryFind(key, out int id);
            var entry = new HeapEntry(pairs.Count[id], key);
            heap.Enqueue(entry, entry);
        }

        var merges = new List<int>(Math.Min(maxMerges, 1 << 16) * 2);
        var grown = new List<long>();
        var visited = new int[nWords];           // merge step + 1 that last rewrote the word
        long reportEvery = Math.Max(1, maxMerges / 1000);
        int done = 0;
        while (done < maxMerges && heap.TryDequeue(out HeapEntry top, out _))
        {
            if (!pairs.TryFind(top.Pair, out int best))
                continue;                          // already merged: a leftover entry
            long bestCount = pairs.Count[best];
            if (top.Count != bestCount)
            {
                if (bestCount > 0 && top.Count > bestCount)
                    heap.Enqueue(new HeapEntry(bestCount, top.Pair), new HeapEntry(bestCount, top.Pair));
                continue;                          // stale; a fresher entry exists or was just pushed
            }
            if (bestCount < Math.Max(minCount, 1)) break;

            int a = Left(top.Pair), b = Right(top.Pair), id = 256 + done;
            merges.Add(a < 256 ? inverse[a] : a);
            merges.Add(b < 256 ? inverse[b] : b);
            counts?.Add(bestCount);
            int[] where = pairs.Words[best];
            int nWhere = pairs.WordCount[best];
            pairs.Remove(top.Pair, best);          // (a, b) can never form again: merges only make new ids
            grown.Clear();

            for (int j = 0; j < nWhere; j++)
            {
                int w = where[j];
                if (visited[w] == done + 1) continue;
                visited[w] = done + 1;
                MergeWord(symbols, start[w], ref length[w], a, b, id, w, weight[w], pairs, grown, done);
            }

            foreach (long key in grown)
            {
                pairs.TryFind(key, out int grownId);
                long c = pairs.Count[grownId];
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
                                  PairTable pairs, List<long> grown, int step)
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

    private static void Change(PairTable pairs, List<long> grown, long key, long delta, int w, int step)
    {
        int id;
        if (delta < 0)
        {
            if (!pairs.TryFind(key, out id)) return;   // the merged pair itself, already removed
            pairs.Count[id] += delta;
            return;
        }
        id = pairs.GetOrAdd(key);
        pairs.Count[id] += delta;
        pairs.AddWord(id, w);
        if (pairs.TouchedAt[id] != step) { pairs.TouchedAt[id] = step; grown.Add(key); }
    }
}
