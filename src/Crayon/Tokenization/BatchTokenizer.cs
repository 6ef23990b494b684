using Crayon.Normalization;
using System.Runtime.ExceptionServices;

namespace Crayon.Tokenization;

/// <summary>
/// Many documents over many threads into one flat id buffer with n + 1 offsets.
/// Documents are cut into contiguous chunks of similar byte size, one task per chunk.
/// When the buffer holds the byte total (the bound), each chunk writes into its own region starting at
/// its first byte's offset (a token covers ≥ 1 byte, so regions never collide) and the regions are then
/// slid left into place. Otherwise a counting pass finds each document's exact offset, then a second
/// pass writes there — no temporary id buffers either way. With an NFC profile the documents are
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
        if (threads <= 0) threads = Environment.ProcessorCount;
        threads = Math.Min(threads, 4 * Environment.ProcessorCount); // more threads than that only adds overhead

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
        int n = textArr.Length;
        int chunks = Math.Min(n, Math.Max(1, threads * 4));
        int[] chunkStart = SplitByBytes(lenArr, chunks, totalBytes);
        chunks = chunkStart.Length - 1;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        nint outP = (nint)output, offP = (nint)offsets;

        if (capacity >= totalBytes)
        {
            // Each chunk writes at its byte offset; counts per document go to offsets[i + 1].
            long[] chunkByteStart = new long[chunks + 1];
            long[] chunkCount = new long[chunks];
            long acc = 0;
            for (int c = 0; c < chunks; c++)
            {
                chunkByteStart[c] = acc;
                for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++) acc += lenArr[i];
            }
            ForEachChunk(chunks, options, c =>
            {
                int* o = (int*)outP + chunkByteStart[c];
                long written = 0;
                for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
                {
                    long k = LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], o + written, long.MaxValue);
                    ((long*)offP)[i + 1] = k;
                    written += k;
                }
                chunkCount[c] = written;
            });
            long dest = 0;
            for (int c = 0; c < chunks; c++)
            {
                if (dest != chunkByteStart[c] && chunkCount[c] > 0)
                    Buffer.MemoryCopy(output + chunkByteStart[c], output + dest, (capacity - dest) * 4, chunkCount[c] * 4);
                dest += chunkCount[c];
            }
            FinishOffsets(offsets, n);
            return offsets[n];
        }

        // Counting pass, then exact placement.
        ForEachChunk(chunks, options, c =>
        {
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
                ((long*)offP)[i + 1] = LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], null, 0);
        });
        FinishOffsets(offsets, n);
        long total = offsets[n];
        if (total > capacity) return -total;
        ForEachChunk(chunks, options, c =>
        {
            for (int i = chunkStart[c]; i < chunkStart[c + 1]; i++)
            {
                long at = ((long*)offP)[i];
                LongestMatch.Run(walk, (byte*)textArr[i], lenArr[i], (int*)outP + at, long.MaxValue);
            }
        });
        return total;
    }

    /// <summary>Parallel.For that rethrows a corrupt profile's DatFormatException itself, not wrapped.</summary>
    private static void ForEachChunk(int chunks, ParallelOptions options, Action<int> body)
    {
        try { Parallel.For(0, chunks, options, body); }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0 && e.InnerExceptions[0] is Dat.DatFormatException)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }

    private static void FinishOffsets(long* offsets, int n)
    {
        offsets[0] = 0;
        for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
    }

    /// <summary>Chunk boundaries (document indices) so that each chunk holds about the same number of bytes.</summary>
    private static int[] SplitByBytes(long[] lens, int chunks, long totalBytes)
    {
        var starts = new List<int> { 0 };
        if (lens.Length == 0) { starts.Add(0); return [.. starts]; }
        long target = Math.Max(1, totalBytes / chunks), acc = 0;
        for (int i = 0; i < lens.Length; i++)
        {
            acc += lens[i];
            if (acc >= target && i + 1 < lens.Length) { starts.Add(i + 1); acc = 0; }
        }
        starts.Add(lens.Length);
        return [.. starts];
    }
}
