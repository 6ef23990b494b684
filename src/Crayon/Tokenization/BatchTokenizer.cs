using Crayon.Normalization;
using Crayon.Batching;

namespace Crayon.Tokenization;

/// <summary>
/// Many documents over many threads into one flat id buffer with n + 1 offsets.
/// Each chunk of documents writes in place, into its bytes' share of the buffer
/// (<see cref="ChunkedBatch.RunInRegions"/>): one walk per document unless the buffer is too small for a
/// chunk's ids, and no temporary id buffers. With an NFC profile the documents are
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
        for (int i = 0; i < n; i++)
        {
            if (lengths[i] < 0) throw new ArgumentException($"length of document {i} is negative");
            if (texts[i] == 0 && lengths[i] != 0) throw new ArgumentException($"document {i} is NULL with a non-zero length");
        }
        if (capacity > 0 && output == null) throw new ArgumentException("out is NULL");
        threads = ChunkedBatch.Threads(threads);

        nint[] textArr = texts.ToArray();
        long[] lenArr = lengths.ToArray();
        if (normalization == TextNormalization.None)
            return Run(walk, textArr, lenArr, output, capacity, offsets, threads);

        for (int i = 0; i < n; i++)   // Nfc's own limit, checked here so it is not wrapped in an AggregateException
            if (lenArr[i] > int.MaxValue) throw new ArgumentException($"document {i} is too long for an NFC profile (at most 2^31 - 1 bytes per text)");
        var normalized = new NormalizedText[n];
        try
        {
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads },
                         i => normalized[i] = Nfc.Normalize((byte*)textArr[i], lenArr[i]));
            for (int i = 0; i < n; i++)
            {
                textArr[i] = (nint)normalized[i].Pointer;
                lenArr[i] = normalized[i].Length;
            }
            return Run(walk, textArr, lenArr, output, capacity, offsets, threads);
        }
        finally
        {
            foreach (NormalizedText t in normalized) t.Dispose();   // default entries own nothing
        }
    }

    private static long Run(TrieWalk walk, nint[] textArr, long[] lenArr, int* output, long capacity,
                            long* offsets, int threads) =>
        ChunkedBatch.RunInRegions(lenArr, output, capacity, offsets, threads,
                                  (i, dest, room) => LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], dest, room));
}
