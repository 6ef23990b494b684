using System.Runtime.ExceptionServices;

namespace Crayon.Batching;

/// <summary>Writes the ids of document <paramref name="index"/> at <paramref name="destination"/>, at most
/// <paramref name="room"/> of them (destination is null when room is 0), and returns how many the document
/// has — more than room when it did not fit. <see cref="ChunkedBatch.RunBounded"/> always gives enough room.</summary>
internal unsafe delegate long DocumentEncoder(int index, int* destination, long room);

/// <summary>
/// The batch scheme both engines share: documents are cut into contiguous chunks of similar byte size,
/// several chunks per thread so a slow chunk does not leave the other threads idle at the end. When the
/// output holds the byte total (every token covers at least one byte, so that is a bound), each chunk
/// writes straight into the caller's buffer at its first byte's offset — regions never collide, there is
/// no temporary id buffer and no allocation per document — and the chunks are then slid left into place
/// (one serial memmove of the ids, far cheaper than making them). Below the bound each chunk gets its
/// bytes' share of the buffer instead (<see cref="RunInRegions"/>).
/// </summary>
internal static unsafe class ChunkedBatch
{
    /// <summary>Chunks per thread: enough that the last chunks even out the threads' finishing times.</summary>
    private const int ChunksPerThread = 8;

    /// <summary>The thread count to use for <paramref name="requested"/> (&lt;= 0: all cores).</summary>
    public static int Threads(int requested) =>
        requested <= 0 ? Environment.ProcessorCount : Math.Min(requested, 4 * Environment.ProcessorCount); // more only adds overhead

    /// <summary>
    /// Runs <paramref name="encode"/> on every document into <paramref name="output"/>, which must hold at
    /// least the byte total of <paramref name="lengths"/>; fills offsets[0..n] and returns the id total.
    /// </summary>
    public static long RunBounded(ReadOnlySpan<long> lengths, int* output, long* offsets, int threads, DocumentEncoder encode)
    {
        long totalBytes = 0;
        foreach (long l in lengths) totalBytes += l;
        return RunInRegions(lengths, output, totalBytes, offsets, threads, encode);
    }

    /// <summary>
    /// One pass for any capacity, for an encoder that writes at most <c>room</c> ids and returns how many
    /// the document needs (possibly more than room). Each chunk gets the share of the output its bytes
    /// have of the byte total (at or above the bound: exactly its bytes, so it always fits) and writes
    /// there; a chunk that outgrows its share only counts from then on and is encoded again at its exact
    /// offset once the others have slid into place. A size query (capacity 0) thus costs one counting
    /// pass, a buffer a little short of the bound costs nothing extra unless a chunk meets more ids than
    /// bytes' share, and nothing is allocated per document. Returns the id total, or minus it when it
    /// exceeds capacity (offsets are then filled, the ids are not).
    /// </summary>
    public static long RunInRegions(ReadOnlySpan<long> lengths, int* output, long capacity, long* offsets, int threads,
                                    DocumentEncoder encode)
    {
        int n = lengths.Length;
        int[] chunkStart = SplitByBytes(lengths, ChunkCount(n, threads));
        int chunks = chunkStart.Length - 1;
        long totalBytes = 0;
        foreach (long l in lengths) totalBytes += l;
        capacity = output == null ? 0 : Math.Max(0, capacity);
        var region = new long[chunks + 1];       // chunk c may write output[region[c]..region[c + 1])
        var chunkCount = new long[chunks];
        var outgrown = new bool[chunks];
        long acc = 0;
        for (int c = 0; c < chunks; c++)
        {
            region[c] = ShareOf(acc, totalBytes, capacity);
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++) acc += lengths[i];
        }
        region[chunks] = ShareOf(totalBytes, totalBytes, capacity);
        long[] lens = lengths.ToArray();   // the lambdas below cannot capture a span
        nint outP = (nint)output, offP = (nint)offsets;
        ForEachChunk(chunks, threads, c =>
        {
            int* o = (int*)outP + region[c];
            long room = region[c + 1] - region[c], written = 0;
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                long left = outgrown[c] ? 0 : room - written;
                long k = encode(i, left > 0 ? o + written : null, left);
                ((long*)offP)[i + 1] = k;
                written += k;
                if (k > left) outgrown[c] = true;
            }
            chunkCount[c] = written;
        });
        FinishOffsets(offsets, n);
        long total = offsets[n];
        if (total > capacity) return -total;

        // Destinations are disjoint and in chunk order, and each source lies inside its own region: chunks
        // moving left go first in ascending order, then chunks moving right in descending order, so no
        // move overwrites ids not yet moved. Outgrown chunks are written afterwards, straight into place.
        for (int c = 0; c < chunks; c++)
            if (!outgrown[c] && offsets[chunkStart[c]] < region[c]) Move(output, region[c], offsets[chunkStart[c]], chunkCount[c]);
        for (int c = chunks - 1; c >= 0; c--)
            if (!outgrown[c] && offsets[chunkStart[c]] > region[c]) Move(output, region[c], offsets[chunkStart[c]], chunkCount[c]);
        ForEachChunk(chunks, threads, c =>
        {
            if (!outgrown[c]) return;
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                long at = ((long*)offP)[i], k = ((long*)offP)[i + 1] - at;
                encode(i, (int*)outP + at, k);
            }
        });
        return total;
    }

    /// <summary>floor(capacity · bytes / totalBytes) without overflow; bytes ≤ totalBytes, and at or
    /// above the bound the share is the byte offset itself.</summary>
    private static long ShareOf(long bytes, long totalBytes, long capacity)
    {
        if (capacity >= totalBytes) return bytes;
        UInt128 product = (UInt128)(ulong)capacity * (ulong)bytes;
        return (long)(product / (ulong)totalBytes);
    }

    private static void Move(int* output, long from, long to, long count)
    {
        if (count > 0) Buffer.MemoryCopy(output + from, output + to, count * 4, count * 4);
    }

    /// <summary>How many chunks to cut n documents into for <paramref name="threads"/> threads.</summary>
    public static int ChunkCount(int n, int threads) => Math.Min(n, Math.Max(1, threads * ChunksPerThread));

    /// <summary>Parallel.For over the chunks that rethrows the first failure itself, not wrapped in an
    /// AggregateException (so a corrupt profile or invalid document keeps its own error and status).</summary>
    public static void ForEachChunk(int chunks, int threads, Action<int> body)
    {
        if (threads == 1 || chunks == 1)
        {
            for (int c = 0; c < chunks; c++) body(c);   // no thread-pool hop for one thread
            return;
        }
        try { Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, body); }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    /// <summary>Per-document counts in offsets[1..n] become running totals; offsets[0] = 0.</summary>
    public static void FinishOffsets(long* offsets, int n)
    {
        offsets[0] = 0;
        for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
    }

    /// <summary>Chunk boundaries (document indices, first 0, last n) so that each chunk holds about the same number of bytes.</summary>
    public static int[] SplitByBytes(ReadOnlySpan<long> lengths, int chunks)
    {
        long totalBytes = 0;
        foreach (long l in lengths) totalBytes += l;
        var starts = new List<int>(chunks + 1) { 0 };
        long target = Math.Max(1, totalBytes / Math.Max(1, chunks)), acc = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            acc += lengths[i];
            if (acc >= target && i + 1 < lengths.Length) { starts.Add(i + 1); acc = 0; }
        }
        starts.Add(lengths.Length);
        return [.. starts];
    }
}
