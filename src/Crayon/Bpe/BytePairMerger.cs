using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// tiktoken's byte-pair merge of one piece: repeatedly merge the adjacent pair whose concatenation
/// has the lowest rank (the leftmost one on ties) until no adjacent pair is a token; then emit the
/// rank of each part. Two implementations with identical results, chosen by length:
/// short pieces rescan a small array (cache-friendly, like tiktoken), long pieces use a binary heap
/// of (rank, position) over a doubly linked list of parts, O(n log n), so a megabyte without
/// whitespace (one huge piece) is not quadratic. When the encoding has a <see cref="BacktrackingEncoder"/>
/// (linear, built on first use), pieces above <see cref="BacktrackThreshold"/> go there instead; these
/// paths stay as its oracle in the tests and serve the vocabularies it declines.
/// </summary>
internal static class BytePairMerger
{
    /// <summary>The rank table and this thread's cache in front of it.</summary>
    internal readonly struct Ranks(RankTable table, RankCache cache)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Get(ReadOnlySpan<byte> key) => cache.Get(table, key);

        /// <summary>See <see cref="RankCache.GetPiece"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int GetPiece(ReadOnlySpan<byte> key, out int second) => cache.GetPiece(table, key, out second);

        public void StoreSplit(ReadOnlySpan<byte> key, int first, int second) => cache.StoreSplit(table, key, first, second);

        public int MaxRank => table.MaxRank;

        public RankCache Cache => cache;

        public RankTable Table => table;
    }

    /// <summary>Pieces longer than this use the <see cref="BacktrackingEncoder"/> when the encoding has one.</summary>
    internal const int BacktrackThreshold = HeapThreshold;

    /// <summary>Pieces longer than this use the heap (tests call every path directly).</summary>
    internal const int HeapThreshold = 96;

    /// <summary>Pieces longer than this use rank buckets (their per-call setup is O(max rank)).</summary>
    internal const int BucketThreshold = 8192;

    private const int None = int.MaxValue;

    /// <summary>
    /// Merges <paramref name="piece"/> (at least 2 bytes) and writes its ranks; long pieces go to
    /// the encoding's <paramref name="longPieces"/> encoder when it has one (a separate argument, so
    /// the short-piece paths keep a two-word <see cref="Ranks"/> that travels in registers).
    /// </summary>
    public static void Merge(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output, LazyBacktrackingEncoder? longPieces = null)
    {
        if (piece.Length > BacktrackThreshold && longPieces?.Get(ranks) is { } backtracking)
            backtracking.Encode(piece, ref output);
        else if (piece.Length > BucketThreshold) MergeWithBuckets(ranks, piece, ref output);
        else if (piece.Length > HeapThreshold) MergeWithHeap(ranks, piece, ref output);
        else MergeLinear(ranks, piece, ref output);
    }

    /// <summary>
    /// The short-piece path: parts as (start, own rank, rank of merging with the next part), in
    /// three arrays that a merge shifts down by one; the lowest pair rank found by a scan.
    /// </summary>
    /// <remarks>
    /// Written over refs into one stack buffer, with each part's own rank kept as it merges (the
    /// output then needs no lookup of the parts' bytes) and the spans of merged parts looked up in
    /// the table directly (see <see cref="SpanRank"/>). Over spans with bounds checks, this loop
    /// spilled its spans to the stack and took ~740 instructions per piece on random Latin-1, where
    /// nearly every piece is new and merged.
    /// </remarks>
    [SkipLocalsInit]
    internal static void MergeLinear(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        int n = piece.Length;
        if (n == 0) return;
        int stride = n + 1;
        int[]? rented = null;
        Span<int> buffer = n < StackParts ? stackalloc int[3 * StackParts] : (rented = ArrayPool<int>.Shared.Rent(3 * stride));
        RankTable table = ranks.Table;
        try
        {
            ref int start = ref MemoryMarshal.GetReference(buffer);   // start[0..count], the last is the end
            ref int token = ref Unsafe.Add(ref start, stride);        // each part's rank (-1: a byte without one)
            ref int rank = ref Unsafe.Add(ref token, stride);         // rank of part k merged with part k + 1, or None
            ref byte bytes = ref MemoryMarshal.GetReference(piece);
            ref int pairRanks = ref table.PairRanks;
            ref int byteRanks = ref table.ByteRanks;
            int minRank = None, minAt = 0;
            for (int i = 0; i < n - 1; i++)
            {
                int b = Unsafe.Add(ref bytes, i);
                int r = Unsafe.Add(ref pairRanks, b | Unsafe.Add(ref bytes, i + 1) << 8);
                r = r < 0 ? None : r;
                Unsafe.Add(ref start, i) = i;
                Unsafe.Add(ref token, i) = Unsafe.Add(ref byteRanks, b);
                Unsafe.Add(ref rank, i) = r;
                if (r < minRank) { minRank = r; minAt = i; }
            }
            Unsafe.Add(ref start, n - 1) = n - 1;
            Unsafe.Add(ref token, n - 1) = Unsafe.Add(ref byteRanks, Unsafe.Add(ref bytes, n - 1));
            Unsafe.Add(ref rank, n - 1) = None;
            Unsafe.Add(ref start, n) = n;

            int count = n;   // parts
            while (minRank != None)
            {
                int i = minAt;
                // Part i absorbs part i + 1: the parts after it move down by one (the end with them).
                Unsafe.Add(ref token, i) = minRank;
                for (int k = i + 1; k < count; k++)   // short: a loop beats a memmove call
                {
                    Unsafe.Add(ref start, k) = Unsafe.Add(ref start, k + 1);
                    Unsafe.Add(ref token, k) = Unsafe.Add(ref token, k + 1);
                    Unsafe.Add(ref rank, k) = Unsafe.Add(ref rank, k + 1);
                }
                count--;
                // The pairs that now hold part i: with the part before it and with the part after it.
                if (i > 0)
                    Unsafe.Add(ref rank, i - 1) = SpanRank(table, piece, Unsafe.Add(ref start, i - 1), Unsafe.Add(ref start, i + 1));
                Unsafe.Add(ref rank, i) = i + 1 < count
                    ? SpanRank(table, piece, Unsafe.Add(ref start, i), Unsafe.Add(ref start, i + 2))
                    : None;
                minRank = None;
                for (int k = 0; k < count - 1; k++)
                {
                    int r = Unsafe.Add(ref rank, k);
                    if (r < minRank) { minRank = r; minAt = k; }
                }
            }
            for (int k = 0; k < count; k++)
            {
                int t = Unsafe.Add(ref token, k);
                if (t < 0) ThrowNoToken(piece[Unsafe.Add(ref start, k)..Unsafe.Add(ref start, k + 1)]);
                output.Add(t);
            }
        }
        finally
        {
            if (rented != null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>Pieces shorter than this merge in a stack buffer (3 × 4 bytes per byte).</summary>
    private const int StackParts = 128;

    /// <summary>The rank of piece[from..to] (at least three bytes: a merged part and its neighbour), or None.</summary>
    /// <remarks>
    /// Straight to the table, not through the rank cache: most of a merge's spans are not tokens, and
    /// the table's filter answers those from the L2 cache, where each one took a rank-cache entry (a
    /// miss and a store) and pushed out the whole pieces the cache is for. Counted on random Latin-1,
    /// 0.96× the instructions and 0.81× the L2 misses; multilingual 0.98× and 0.96×; English unchanged.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SpanRank(RankTable table, ReadOnlySpan<byte> piece, int from, int to)
    {
        int r = table.Get(piece[from..to]);
        return r < 0 ? None : r;
    }

    /// <summary>The long-piece path: a lazy-deletion heap keyed by (rank, start) and a linked list of parts.</summary>
    internal static void MergeWithHeap(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        int n = piece.Length;
        int[] next = ArrayPool<int>.Shared.Rent(n + 1);
        int[] prev = ArrayPool<int>.Shared.Rent(n + 1);
        int[] rank = ArrayPool<int>.Shared.Rent(n + 1);
        long[] heap = ArrayPool<long>.Shared.Rent(3 * n + 4);
        try
        {
            int size = 0;
            for (int i = 0; i < n; i++)
            {
                next[i] = i + 1;
                prev[i] = i - 1;
                int r = i + 2 <= n ? ranks.Get(piece.Slice(i, 2)) : -1;
                rank[i] = r < 0 ? None : r;
                if (r >= 0) Push(heap, ref size, Key(r, i));
            }
            next[n] = n;
            while (size > 0)
            {
                long top = Pop(heap, ref size);
                int i = (int)(top & 0xFFFFFFFF), r = (int)(top >> 32);
                if (rank[i] != r) continue; // stale: the part changed (or was absorbed: rank set to None)
                int j = next[i];            // part j joins part i
                int after = next[j];
                next[i] = after;
                if (after < n) prev[after] = i;
                rank[j] = None;
                rank[i] = after < n ? RankOrNone(ranks, piece[i..next[after]]) : None;
                if (rank[i] != None) Push(heap, ref size, Key(rank[i], i));
                int p = prev[i];
                if (p >= 0)
                {
                    rank[p] = RankOrNone(ranks, piece[p..after]);
                    if (rank[p] != None) Push(heap, ref size, Key(rank[p], p));
                }
            }
            for (int i = 0; i < n; i = next[i])
                output.Add(PartRank(ranks, piece[i..next[i]]));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(rank);
            ArrayPool<long>.Shared.Return(heap);
        }
    }

    /// <summary>
    /// The very-long-piece path (a megabyte without whitespace): pairs wait in one bucket per rank;
    /// the lowest non-empty rank r is swept left to right. Everything still in a bucket has a rank
    /// above r, so the next merge in tiktoken's (rank, leftmost) order is the sweep's next valid
    /// position — or a pair created during the sweep with a rank not above r (real vocabularies
    /// have them: "xyz" may be learned as "xy"+"z" before "x"+"yz" appears), which a small heap
    /// orders against the sweep by (rank, position). Exact, O(n log n), and mostly sequential
    /// memory access where one big heap misses the cache at every level.
    /// </summary>
    internal static void MergeWithBuckets(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        int n = piece.Length, nRanks = ranks.MaxRank + 1;
        int[] next = ArrayPool<int>.Shared.Rent(n + 1);
        int[] prev = ArrayPool<int>.Shared.Rent(n + 1);
        int[] rank = ArrayPool<int>.Shared.Rent(n + 1);
        int[] head = ArrayPool<int>.Shared.Rent(nRanks);     // first entry of each rank's bucket, -1 if empty
        int[] rankHeap = ArrayPool<int>.Shared.Rent(nRanks); // non-empty ranks; each at most once
        int[] sweep = ArrayPool<int>.Shared.Rent(n + 1);
        long[] urgent = ArrayPool<long>.Shared.Rent(64);
        var buckets = new Buckets(head, rankHeap, 3 * n + 4);
        try
        {
            head.AsSpan(0, nRanks).Fill(-1);
            for (int i = 0; i < n; i++)
            {
                next[i] = i + 1;
                prev[i] = i - 1;
                int r = i + 2 <= n ? ranks.Get(piece.Slice(i, 2)) : -1;
                rank[i] = r < 0 ? None : r;
                if (r >= 0) buckets.Add(r, i);
            }
            next[n] = n;
            while (buckets.TryTakeLowest(out int r, sweep, out int count))
            {
                SortAscending(sweep.AsSpan(0, count));
                int k = 0, urgentSize = 0;
                while (true)
                {
                    while (k < count && rank[sweep[k]] != r) k++; // absorbed or already merged
                    while (urgentSize > 0 && rank[(int)(urgent[0] & 0xFFFFFFFF)] != (int)(urgent[0] >> 32))
                        Pop(urgent, ref urgentSize);
                    long fromSweep = k < count ? Key(r, sweep[k]) : long.MaxValue;
                    long fromUrgent = urgentSize > 0 ? urgent[0] : long.MaxValue;
                    if (fromSweep == long.MaxValue && fromUrgent == long.MaxValue) break;
                    int i;
                    if (fromUrgent < fromSweep) { Pop(urgent, ref urgentSize); i = (int)(fromUrgent & 0xFFFFFFFF); }
                    else i = sweep[k++];

                    int j = next[i], after = next[j];
                    next[i] = after;
                    if (after < n) prev[after] = i;
                    rank[j] = None;
                    rank[i] = after < n ? RankOrNone(ranks, piece[i..next[after]]) : None;
                    if (rank[i] != None) Schedule(ref buckets, ref urgent, ref urgentSize, r, rank[i], i);
                    int p = prev[i];
                    if (p >= 0)
                    {
                        rank[p] = RankOrNone(ranks, piece[p..after]);
                        if (rank[p] != None) Schedule(ref buckets, ref urgent, ref urgentSize, r, rank[p], p);
                    }
                }
            }
            for (int i = 0; i < n; i = next[i])
                output.Add(PartRank(ranks, piece[i..next[i]]));
        }
        finally
        {
            buckets.Dispose();
            ArrayPool<int>.Shared.Return(next);
            ArrayPool<int>.Shared.Return(prev);
            ArrayPool<int>.Shared.Return(rank);
            ArrayPool<int>.Shared.Return(head);
            ArrayPool<int>.Shared.Return(rankHeap);
            ArrayPool<int>.Shared.Return(sweep);
            ArrayPool<long>.Shared.Return(urgent);
        }
    }

    /// <summary>
    /// A new pair of rank <paramref name="newRank"/> while rank <paramref name="sweeping"/> is swept:
    /// later ranks wait in their bucket; a rank not above the sweep's (possible when the new token
    /// was learned from a different split) competes with the sweep by (rank, position) right away.
    /// </summary>
    private static void Schedule(ref Buckets buckets, ref long[] urgent, ref int urgentSize, int sweeping, int newRank, int position)
    {
        if (newRank > sweeping)
        {
            buckets.Add(newRank, position);
            return;
        }
        if (urgentSize == urgent.Length)
        {
            long[] bigger = ArrayPool<long>.Shared.Rent(urgent.Length * 2);
            urgent.AsSpan(0, urgentSize).CopyTo(bigger);
            ArrayPool<long>.Shared.Return(urgent);
            urgent = bigger;
        }
        Push(urgent, ref urgentSize, Key(newRank, position));
    }

    /// <summary>
    /// Buckets are filled front-first, so a sweep arrives almost in descending order: reverse it,
    /// and sort only if that did not already order it (span Sort: no comparer call per element).
    /// </summary>
    private static void SortAscending(Span<int> positions)
    {
        positions.Reverse();
        for (int k = 1; k < positions.Length; k++)
            if (positions[k] < positions[k - 1])
            {
                positions.Sort();
                return;
            }
    }

    /// <summary>Per-rank singly linked lists of positions in one pooled arena, plus a heap of the non-empty ranks.</summary>
    private struct Buckets(int[] head, int[] rankHeap, int capacity)
    {
        private int[] _pos = ArrayPool<int>.Shared.Rent(capacity);
        private int[] _link = ArrayPool<int>.Shared.Rent(capacity);
        private int _used;
        private int _heapSize;

        public void Add(int r, int position)
        {
            if (_used == _pos.Length) Grow();
            _pos[_used] = position;
            _link[_used] = head[r];
            if (head[r] < 0) PushRank(r);
            head[r] = _used++;
        }

        /// <summary>Empties the lowest non-empty bucket into <paramref name="into"/>.</summary>
        public bool TryTakeLowest(out int r, int[] into, out int count)
        {
            count = 0;
            if (_heapSize == 0) { r = -1; return false; }
            r = PopRank();
            for (int e = head[r]; e >= 0; e = _link[e])
            {
                // A pair's bytes only grow as parts merge, so (position, rank) is added at most once:
                // a bucket never holds more positions than the piece has.
                if (count == into.Length) throw new InvalidOperationException("BPE bucket overflow (a bug)");
                into[count++] = _pos[e];
            }
            head[r] = -1;
            return true;
        }

        private void Grow()
        {
            int[] pos = ArrayPool<int>.Shared.Rent(_pos.Length * 2), link = ArrayPool<int>.Shared.Rent(_pos.Length * 2);
            _pos.AsSpan(0, _used).CopyTo(pos);
            _link.AsSpan(0, _used).CopyTo(link);
            ArrayPool<int>.Shared.Return(_pos);
            ArrayPool<int>.Shared.Return(_link);
            _pos = pos;
            _link = link;
        }

        private void PushRank(int r) => Push(rankHeap, ref _heapSize, r);

        private int PopRank() => Pop(rankHeap, ref _heapSize);

        public void Dispose()
        {
            ArrayPool<int>.Shared.Return(_pos);
            ArrayPool<int>.Shared.Return(_link);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RankOrNone(Ranks ranks, ReadOnlySpan<byte> s)
    {
        int r = ranks.Get(s);
        return r < 0 ? None : r;
    }

    private static int PartRank(Ranks ranks, ReadOnlySpan<byte> part)
    {
        int r = ranks.Get(part);
        if (r < 0) ThrowNoToken(part);
        return r;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNoToken(ReadOnlySpan<byte> part) =>
        throw new InvalidDataException($"the encoding has no token for the byte(s) {RankTable.Describe(part)}: its ranks must include every single byte that can occur");

    private static long Key(int rank, int pos) => ((long)rank << 32) | (uint)pos;

    // Binary min-heaps over int ranks and long (rank, position) keys: generic over the value type,
    // so each instantiation is specialised and compares with plain integer instructions.
    private static void Push<T>(T[] heap, ref int size, T key) where T : struct, IComparisonOperators<T, T, bool>
    {
        int i = size++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= key) break;
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = key;
    }

    private static T Pop<T>(T[] heap, ref int size) where T : struct, IComparisonOperators<T, T, bool>
    {
        T top = heap[0];
        T last = heap[--size];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && heap[child + 1] < heap[child]) child++;
            if (heap[child] >= last) break;
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = last;
        return top;
    }
}
