using Crayon.Normalization;
using Crayon.Batching;

namespace Crayon.Tokenization;

/// <summary>
/// Many documents over many threads into one flat id buffer with n + 1 offsets.
/// When the buffer holds the byte total (the bound), <see cref="ChunkedBatch.RunBounded"/> writes each
/// chunk of documents in place. Otherwise a counting pass finds each document's exact offset, then a
/// second pass writes there — no temporary id buffers either way. With an NFC profile the documents are
/// normalised first (in parallel; only those that change are copied) and the rest runs on the
/// normalised bytes, whose total can exceed the input's.
/// </summary>
internal static unsafe class BatchTokenizer
{
    public static long Run(in TrieWalk walk, TextNormalization normalization, ReadOnlySpan<nint> texts, ReadOnlySpan<long> lengths,
                           int* output, long capacity, long* offsets, int threads)
    {
        int n = texts.Length;
        if (lengths.Length != n) throw new ArgumentException("texts and lengths differ in count");
        if (offsets == null) throw new ArgumentException("offsets is NULL");
        long totalBytes = 0;
        for (int i = 0; i < n; i++)
        {
            if (lengths[i] < 0) throw new ArgumentException($"length of document {i} is negative");
            if (texts[i] == 0 && lengths[i] != 0) throw new ArgumentException($"document {i} is NULL with a non-zero length");
            totalBytes += lengths[i];
        }
        if (capacity > 0 && output == null) throw new ArgumentException("out is NULL");
        threads = ChunkedBatch.Threads(threads);

        nint[] textArr = texts.ToArray();
        long[] lenArr = lengths.ToArray();
        if (normalization == TextNormalization.None)
            return Run(walk, textArr, lenArr, totalBytes, output, capacity, offsets, threads);

        for (int i = 0; i < n; i++)   // Nfc's own limit, checked here so it is not wrapped in an AggregateException
            if (lenArr[i] > int.MaxValue) throw new ArgumentException($"document {i} is too long for an NFC profile (at most 2^31 - 1 bytes per text)");
        var normalized = new NormalizedText[n];
        try
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads },
                         i => normalized[i] = Nfc.Normalize((byte*)textArr[i], lenArr[i]));
            totalBytes = 0;
            for (int i = 0; i < n; i++)
            {
                textArr[i] = (nint)normalized[i].Pointer;
                lenArr[i] = normalized[i].Length;
                totalBytes += lenArr[i];
            }
            return Run(walk, textArr, lenArr, totalBytes, output, capacity, offsets, threads);
        }
        finally
        {
            foreach (NormalizedText t in normalized) t.Dispose();   // default entries own nothing
        }
    }

    private static long Run(TrieWalk walk, nint[] textArr, long[] lenArr, long totalBytes, int* output, long capacity,
                            long* offsets, int threads)
    {
        if (capacity >= totalBytes)
            return ChunkedBatch.RunBounded(lenArr, output, offsets, threads,
                                           (i, dest, _) => LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], dest, long.MaxValue));

        // Counting pass, then exact placement.
        int n = textArr.Length;
        int[] chunkStart = ChunkedBatch.SplitByBytes(lenArr, ChunkedBatch.ChunkCount(n, threads));
        int chunks = chunkStart.Length - 1;
        nint outP = (nint)output, offP = (nint)offsets;
        ChunkedBatch.ForEachChunk(chunks, threads, c =>
        {
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
                ((long*)offP)[i + 1] = LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], null, 0);
        });
        ChunkedBatch.FinishOffsets(offsets, n);
        long total = offsets[n];
        if (total > capacity) return -total;
        ChunkedBatch.ForEachChunk(chunks, threads, c =>
        {
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                long at = ((long*)offP)[i];
                LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], (int*)outP + at, long.MaxValue);
            }
        });
        return total;
    }
}
