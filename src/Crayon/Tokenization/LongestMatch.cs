using System.Runtime.CompilerServices;
using Crayon.Trie;

namespace Crayon.Tokenization;

/// <summary>
/// Greedy longest match (paper, algorithm 4.1) over UTF-8 bytes, walking the mapped double array.
/// The first byte of every token is a direct index (node 1 + b, always a token: the byte fallback), so
/// each token costs one table read plus one node per extra byte; the loader guarantees that
/// Base + 255 is inside the array, so the inner walk has no bounds check. Ids go straight into the
/// caller's buffer; nothing is allocated.
/// </summary>
internal static unsafe class LongestMatch
{
    /// <summary>
    /// Tokenizes text[0..length) and writes ids to output while there is room (capacity ids).
    /// Returns the total number of tokens, which is larger than capacity when the output was too small
    /// (the first capacity ids are then written). capacity = 0 counts only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Run(TrieNode* nodes, byte* text, long length, int* output, long capacity)
    {
        byte* p = text;
        byte* end = text + length;
        long count = 0;
        while (p < end)
        {
            uint s = 1u + *p;
            TrieNode* node = nodes + s;
            int id = node->Value;        // the byte token: always present
            byte* last = ++p;
            while (p < end)
            {
                uint t = (uint)node->Base + *p;
                TrieNode* next = nodes + t;
                if ((uint)next->Check != s) break;
                s = t;
                node = next;
                p++;
                int v = next->Value;
                if (v >= 0) { id = v; last = p; }
            }
            p = last;
            if (count < capacity) output[count] = id;
            count++;
        }
        return count;
    }
}
