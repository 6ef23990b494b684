using System.Buffers;
using System.Runtime.CompilerServices;

namespace Crayon.Bpe;

/// <summary>
/// tiktoken's byte-pair merge of one piece: repeatedly merge the adjacent pair whose concatenation
/// has the lowest rank (the leftmost one on ties) until no adjacent pair is a token; then emit the
/// rank of each part. Two implementations with identical results, chosen by length:
/// short pieces rescan a small array (cache-friendly, like tiktoken), long pieces use a binary heap
/// of (rank, position) over a doubly linked list of parts, O(n log n), so a megabyte without
/// whitespace (one huge piece) is not quadratic.
/// </summary>
internal static class BytePairMerger
{
    /// <summary>The rank table and this thread's cache in front of it.</summary>
    internal readonly struct Ranks(RankTable table, RankCache cache)
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Get(ReadOnlySpan<byte> key) => cache.Get(table, key);

        public RankCache Cache => cache;
    }

    /// <summary>Pieces longer than this use the heap (tests call both paths directly).</summary>
    internal const int HeapThreshold = 96;

    private const int None = int.MaxValue;

    /// <summary>Merges <paramref name="piece"/> (at least 2 bytes) and writes its ranks.</summary>
    public static void Merge(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        if (piece.Length > HeapThreshold) MergeWithHeap(ranks, piece, ref output);
        else MergeLinear(ranks, piece, ref output);
    }

    /// <summary>The short-piece path: parts as (start, rank of merging with the next part).</summary>
    internal static void MergeLinear(Ranks ranks, ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        int n = piece.Length;
        int[]? rentedStart = null, rentedRank = null;
        Span<int> start = n < 256 ? stackalloc int[n + 1] : (rentedStart = ArrayPool<int>.Shared.Rent(n + 1));
        Span<int> rank = n < 256 ? stackalloc int[n + 1] : (rentedRank = ArrayPool<int>.Shared.Rent(n + 1));
        try
        {
            int count = n + 1; // parts: start[0..count), the last is the end sentinel
            int minRank = None, minAt = -1;
            for (int i = 0; i < n - 1; i++)
            {
                int r = ranks.Get(piece.Slice(i, 2));
                if (r < 0) r = None;
                start[i] = i;
                rank[i] = r;
                if (r < minRank) { minRank = r; minAt = i; }
            }
            start[n - 1] = n - 1; rank[n - 1] = None;
            start[n] = n; rank[n] = None;

            while (minRank != None)
            {
                int i = minAt;
                // Part i absorbs part i+1; the ranks of i-1 and i now cover one more part.
                if (i > 0) rank[i - 1] = RankOf(ranks, piece, start, count, i - 1);
                rank[i] = RankOf(ranks, piece, start, count, i);
                start.Slice(i + 2, count - i - 2).CopyTo(start.Slice(i + 1));
                rank.Slice(i + 2, count - i - 2).CopyTo(rank.Slice(i + 1));
                count--;
                minRank = None;
                for (int k = 0; k < count - 1; k++)
                    if (rank[k] < minRank) { minRank = rank[k]; minAt = k; }
            }
            for (int k = 0; k < count - 1; k++)
                output.Add(PartRank(ranks, piece.Slice(start[k], start[k + 1] - start[k])));
        }
        finally
        {
            if (rentedStart != null) ArrayPool<int>.Shared.Return(rentedStart);
            if (rentedRank != null) ArrayPool<int>.Shared.Return(rentedRank);
        }
    }

    /// <summary>Rank of parts i and i+1 merged, valid before part i+1 is removed (so it spans to start[i+3]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RankOf(Ranks ranks, ReadOnlySpan<byte> piece, Span<int> start, int count, int i)
    {
        if (i + 3 >= count) return None;
        int r = ranks.Get(piece[start[i]..start[i + 3]]);
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

    private static void Push(long[] heap, ref int size, long key)
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

    private static long Pop(long[] heap, ref int size)
    {
        long top = heap[0];
        long last = heap[--size];
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
