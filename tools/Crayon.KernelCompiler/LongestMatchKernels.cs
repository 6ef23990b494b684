using ILGPU;

namespace Crayon.KernelCompiler;

/// <summary>
/// The device side of GPU batch tokenization, written in C# and compiled by ILGPU at build time
/// (never at run time). The host (src/Crayon/Gpu/GpuBatchTokenizer.cs) cuts every document into
/// chunks; a chunk's thread walks greedy longest match from its entry point to the chunk's end.
/// A chunk's true entry is where the previous chunk's last token ends, which is only known once the
/// previous chunk is right, so <see cref="WalkChunks"/> runs in rounds: round 0 guesses the chunk's
/// own start; each later round re-walks exactly the chunks whose entry changed. Greedy matching from
/// the same position is deterministic, so when no entry changes every chunk follows the CPU's path.
/// Every read is clamped into its array: a hostile trie or table can give wrong ids, never a fault.
/// </summary>
public static class LongestMatchKernels
{
    /// <summary>
    /// One thread per chunk c. trieBase/trieCheck/trieValue: the double array (one int per node each).
    /// text: the piece's bytes. chunkStart/chunkEnd: the chunk's bytes in text; chunkLimit: where the
    /// chunk's document ends (or the piece's overlap ends), the last byte a token may use.
    /// fixedEntry: the entry of a document's first chunk here, or -1 to take exitsIn[c - 1].
    /// assumed: the entry this chunk's ids were walked from (-1: none yet). ids: chunk c writes at
    /// chunkStart[c] (a token covers at least one byte, so regions never overlap); counts, exitsOut: its
    /// token count and the position its last token ends. changed[0] is set when any chunk re-walked.
    /// </summary>
    public static void WalkChunks(
        Index1D c,
        ArrayView<int> trieBase, ArrayView<int> trieCheck, ArrayView<int> trieValue,
        ArrayView<byte> text,
        ArrayView<int> chunkStart, ArrayView<int> chunkEnd, ArrayView<int> chunkLimit, ArrayView<int> fixedEntry,
        ArrayView<int> exitsIn, ArrayView<int> exitsOut, ArrayView<int> assumed, ArrayView<int> counts,
        ArrayView<int> ids, ArrayView<int> changed)
    {
        int nodes = (int)trieBase.Length;
        int textLength = (int)text.Length;
        int fixedAt = fixedEntry[c];
        int entry = fixedAt >= 0 ? fixedAt : (c > 0 ? exitsIn[c - 1] : 0);
        if (entry == assumed[c])
        {
            exitsOut[c] = exitsIn[c];
            return;
        }
        assumed[c] = entry;
        changed[0] = 1;

        int start = Clamp(chunkStart[c], 0, (int)ids.Length);
        int end = Clamp(chunkEnd[c], 0, textLength);
        int limit = Clamp(chunkLimit[c], 0, textLength);
        int room = Clamp((int)ids.Length - start, 0, (int)ids.Length);
        int p = Clamp(entry, 0, textLength);
        int count = 0;
        // At most one token per byte: the bound also keeps a miscompiled loop from spinning forever.
        for (int steps = end - p; p < end && steps > 0; steps--)
        {
            int s = 1 + text[p];
            int id = s < nodes ? trieValue[s] : -1;   // the byte token: always present in a valid trie
            int last = p + 1;
            // Selects rather than branches for the "longest so far" updates: ILGPU 1.5.3 mis-assigns
            // the loop's phi copies when they are updated inside an if (seen with Release IL: the
            // outer position then came from a copy that the break path never set).
            for (int q = p + 1; q < limit; q++)
            {
                int t = s < nodes ? trieBase[s] + text[q] : -1;
                if (t < 0 || t >= nodes || trieCheck[t] != s) break;
                s = t;
                int v = trieValue[t];
                bool token = v >= 0;
                id = token ? v : id;
                last = token ? q + 1 : last;
            }
            if (count < room) ids[start + count] = id;
            count++;
            p = last;
        }
        counts[c] = count;
        exitsOut[c] = p;
    }

    /// <summary>One thread per chunk: copies its counts[c] ids from its region to their place in out.</summary>
    public static void Compact(
        Index1D c, ArrayView<int> chunkStart, ArrayView<int> counts, ArrayView<int> dest, ArrayView<int> ids,
        ArrayView<int> output)
    {
        int from = chunkStart[c];
        int to = dest[c];
        int n = counts[c];
        for (int k = 0; k < n; k++)
        {
            int i = from + k, o = to + k;
            if (i < 0 || i >= (int)ids.Length || o < 0 || o >= (int)output.Length) return;
            output[o] = ids[i];
        }
    }

    private static int Clamp(int v, int lo, int hi) => v < lo ? lo : (v > hi ? hi : v);
}
