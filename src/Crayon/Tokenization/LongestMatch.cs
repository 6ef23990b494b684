using System.Runtime.CompilerServices;
using Crayon.Dat;

namespace Crayon.Tokenization;

/// <summary>
/// Greedy longest match (paper, algorithm 4.1) over UTF-8 bytes, walking the mapped double array.
/// The first byte of every token is a direct index (cell 1 + b, always a token: the byte fallback), so
/// each token costs one cell read per byte plus one id read at its end. Nothing in the file is trusted
/// beyond what the loader checked in constant time: a step whose index falls past the cells goes to the
/// root instead (one compare and move), whose check no walk matches; and the first time a cell emits
/// its token (byte cells included), the token's stored bytes are
/// compared with the bytes the walk matched (<see cref="Admit"/>); after that one bit says so. Ids go
/// straight into the caller's buffer; nothing is allocated.
/// </summary>
internal static unsafe class LongestMatch
{
    /// <summary>
    /// Tokenizes text[0..length) and writes ids to output while there is room (capacity ids).
    /// Returns the total number of tokens, which is larger than capacity when the output was too small
    /// (the first capacity ids are then written). capacity = 0 counts only.
    /// Throws DatFormatException when the profile's trie and token table disagree.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long Run(in TrieWalk walk, byte* text, long length, int* output, long capacity)
    {
        ulong* cells = walk.Cells;
        ulong* verified = walk.Verified;
        int* values = walk.Values;
        uint limit = walk.Limit;
        byte* p = text;
        byte* end = text + length;
        long count = 0;
        while (p < end)
        {
            byte* start = p;
            uint s = 1u + *p;
            uint accept = s;             // the byte cell: always a token
            ulong cell = cells[s];
            byte* last = ++p;
            while (p < end)
            {
                uint t = (uint)cell + *p;
                t = t <= limit ? t : 0;
                ulong next = cells[t];
                uint check = (uint)(next >> 32);
                if ((check & TrieCell.ParentMask) != s) break;
                s = t;
                cell = next;
                p++;
                if ((int)check < 0) { accept = t; last = p; }
            }
            p = last;
            if ((verified[accept >> 6] & (1UL << (int)accept)) == 0) Admit(walk, accept, start, last);
            if (count < capacity) output[count] = values[accept];
            count++;
        }
        return count;
    }

    /// <summary>
    /// First use of a cell's token: its id must be in range and its stored bytes must be exactly the
    /// bytes matched to reach the cell, or decode would not give back the text. The cell's path is
    /// unique (each step is checked against the parent, and an out-of-range step lands on the root, which matches nothing),
    /// so one check covers every later use.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Admit(in TrieWalk walk, uint cell, byte* start, byte* end)
    {
        int id = walk.Values[cell];
        long matched = end - start;
        if ((uint)id >= walk.VocabSize)
            throw DatImage.Bad($"trie cell {cell} holds token id {id}, outside 0..{walk.VocabSize - 1} (the file is corrupt)");
        uint a = walk.TokenOffsets[id], b = walk.TokenOffsets[id + 1];
        if (a > b || b > walk.TokenBytesLength) throw DatImage.CorruptToken(id);
        if (matched > walk.MaxTokenBytes || !new ReadOnlySpan<byte>(walk.TokenBytes + a, (int)(b - a)).SequenceEqual(new ReadOnlySpan<byte>(start, (int)matched)))
            throw DatImage.Bad($"trie cell {cell} ends token {id}, but the token table holds other bytes for it " +
                               "(the trie and the token table disagree: the file is corrupt or was altered)");
        Interlocked.Or(ref walk.Verified[cell >> 6], 1UL << (int)cell);
    }
}
