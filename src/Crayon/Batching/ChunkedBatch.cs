using System.Runtime.ExceptionServices;

namespace Crayon.Batching;

/// <summary>Writes the ids of document <paramref name="index"/> at <paramref name="destination"/>
/// (room for <paramref name="room"/> ids, which the caller guarantees is enough) and returns how many.</summary>
internal unsafe delegate long DocumentEncoder(int index, int* destination, long room);

/// <summary>
/// The batch scheme both engines share: documents are cut into contiguous chunks of similar byte size,
/// several chunks per thread so a slow chunk does not leave the other threads idle at the end. When the
/// output holds the byte total (every token covers at least one byte, so that is a bound), each chunk
/// writes straight into the caller's buffer at its first byte's offset — regions never collide, there is
/// no temporary id buffer and no allocation per document — and the chunks are then slid left into place
/// (one serial memmove of the ids, far cheaper than making them).
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
        int n = lengths.Length;
        int[] chunkStart = SplitByBytes(lengths, ChunkCount(n, threads));
        int chunks = chunkStart.Length - 1;
        var chunkByteStart = new long[chunks];
        var chunkCount = new long[chunks];
        long acc = 0;
        for (int c = 0; c < chunks; c++)
        {
            chunkByteStart[c] = acc;
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++) acc += lengths[i];
        }
        long[] lens = lengths.ToArray();   // the lambda below cannot capture a span
        nint outP = (nint)output, offP = (nint)offsets;
        ForEachChunk(chunks, threads, c =>
        {
            int* o = (int*)outP + chunkByteStart[c];
            long written = 0;
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                long k = encode(i, o + written, lens[i]);
                ((long*)offP)[i + 1] = k;
                written += k;
            }
            chunkCount[c] = written;
        });
        long dest = 0;
        for (int c = 0; c < chunks; c++)
        {
            if (dest != chunkByteStart[c] && chunkCount[c] > 0)
                Buffer.MemoryCopy(output + chunkByteStart[c], output + dest, chunkCount[c] * 4, chunkCount[c] * 4);
            dest += chunkCount[c];
        }
        FinishOffsets(offsets, n);
        return offsets[n];
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
