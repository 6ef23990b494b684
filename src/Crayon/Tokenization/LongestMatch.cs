using System.Runtime.CompilerServices;
using Crayon.Dat;

namespace Crayon.Tokenization;

/// <summary>
/// Greedy longest match (paper, algorithm 4.1) over UTF-8 bytes, walking the mapped double array.
/// The first byte of every token is a direct index (cell 1 + b, always a token: the byte fallback), so
/// each token costs one cell read per byte plus one id read at its end. Nothing in the file is trusted
/// beyond what the loader checked (every base in range and used once, <see cref="TrieCell"/>): a step
/// reads base + c, checks the cell's label and needs no bound; and the first time a cell emits its token
/// (byte cells included), the token's stored bytes are compared with the bytes the walk matched
/// (<see cref="Admit"/>); after that one bit says so. Ids go straight into the caller's buffer; nothing
/// is allocated.
/// <para>
/// A tail cell holds the rest of the one token below it: the walk compares that rest with
/// the text at once, eight bytes per compare, and takes the token (the cell's value) or stops with the
/// token it had, since no token ends inside a tail. The record is read only where it and the slack
/// after it lie inside the section.
/// </para>
/// </summary>
internal static unsafe class LongestMatch
{
    /// <summary>
    /// Tokenizes text[0..length) and writes ids to output while there is room (capacity ids).
    /// Returns the total number of tokens, which is larger than capacity when the output was too small
    /// (the first capacity ids are then written). capacity = 0 counts only.
    /// Throws DatFormatException when the profile's trie and token table disagree.
    /// </summary>
    public static long Run(in TrieWalk walk, byte* text, long length, int* output, long capacity)
    {
        var state = new Position { Text = text, Written = output };
        int* outputEnd = EndOf(output, capacity);   // never written at or past this
        byte* end = text + length;
        while (true)
        {
            uint pending = Scan(walk, ref state, end, outputEnd);
            if (pending == 0) return state.Written - output;
            Admit(walk, pending, state.Text, state.TokenEnd);   // then resume at the same token
        }
    }

    /// <summary>output + capacity, saturated: callers pass long.MaxValue for "room for everything".</summary>
    private static int* EndOf(int* output, long capacity)
    {
        if (capacity <= 0) return output;
        ulong room = ((ulong)nuint.MaxValue - (ulong)output) / sizeof(int);
        return (ulong)capacity >= room ? (int*)nuint.MaxValue : output + capacity;
    }

    private struct Position
    {
        public byte* Text;       // where the next token starts
        public int* Written;     // where its id goes (may run past the output's end: counting only)
        public byte* TokenEnd;   // set when Scan stops at an unchecked cell
    }

    /// <summary>
    /// The hot loop, kept free of calls so that its state stays in registers. Returns 0 at the end of
    /// the text, or the cell of a token not yet checked (state then points at that token).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static uint Scan(in TrieWalk walk, ref Position state, byte* end, int* outputEnd)
    {
        uint* cells = walk.Cells;
        ulong* verified = walk.Verified;
        int* values = walk.Values;
        byte* tails = walk.Tails;
        long tailsLimit = TailsLimit(walk);
        byte* p = state.Text;
        int* o = state.Written;
        while (p < end)
        {
            uint accept = 1u + *p;       // the byte cell: always a token
            uint cell = cells[accept];
            byte* q = p + 1;
            byte* last = q;
            while (q < end)
            {
                uint c = *q;
                uint t = (cell >> TrieCell.BaseShift) + c;   // ≤ node_count − 1: the loader checked every base
                cell = cells[t];                      // not needed past a mismatch, which ends the token
                if ((byte)cell != c) break;
                q++;
                if ((cell & TrieCell.TerminalBit) != 0) { accept = t; last = q; }
                else if ((cell & TrieCell.TailBit) != 0)
                {
                    uint at = cell >> TrieCell.BaseShift;
                    if (at <= tailsLimit)
                    {
                        byte* record = tails + at;
                        uint length = record[0];
                        if (at + length <= tailsLimit && length <= (ulong)(end - q) && TailMatches(q, record + DatLayout.TailHeaderBytes, length, end))
                        {
                            accept = t;
                            last = q + length;
                        }
                    }
                    break;
                }
            }
            if ((verified[accept >> 6] & (1UL << (int)accept)) == 0)
            {
                state.Text = p;
                state.Written = o;
                state.TokenEnd = last;
                return accept;
            }
            if (o < outputEnd) *o = values[accept];
            o++;
            p = last;
        }
        state.Text = p;
        state.Written = o;
        return 0;
    }

    /// <summary>The last offset at which a tail record, with its slack, fits the tails section.</summary>
    private static long TailsLimit(in TrieWalk walk) => (long)walk.TailsLength - DatLayout.TailHeaderBytes - DatLayout.TailSlack;

    /// <summary>Whether the <paramref name="length"/> bytes at <paramref name="text"/> (all before <paramref name="end"/>)
    /// equal those at <paramref name="tail"/>, which has <see cref="DatLayout.TailSlack"/> readable bytes after them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TailMatches(byte* text, byte* tail, uint length, byte* end)
    {
        // No call here: a call anywhere in Scan made RyuJIT keep the step's cell index on the stack,
        // one store per byte of every walk.
        for (; length > 8; length -= 8, text += 8, tail += 8)
            if (Unsafe.ReadUnaligned<ulong>(text) != Unsafe.ReadUnaligned<ulong>(tail)) return false;
        if (end - text >= 8)
            return length == 0 || (Unsafe.ReadUnaligned<ulong>(text) ^ Unsafe.ReadUnaligned<ulong>(tail)) << (int)(64 - 8 * length) == 0;
        for (uint k = 0; k < length; k++)
            if (text[k] != tail[k]) return false;
        return true;
    }

    /// <summary>
    /// First use of a cell's token: its id must be in range and its stored bytes must be exactly the
    /// bytes matched to reach the cell, or decode would not give back the text. The cell's path is
    /// unique (no two cells share a base, so each cell has one parent, and no step leaves the cells),
    /// and a tail cell's bytes are fixed, so one check covers every later use.
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
