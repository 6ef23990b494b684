namespace Crayon.Dat;

/// <summary>
/// One cell of the mapped double array (format 5), a little-endian u32: in bits 0..7 the label (the
/// byte that leads here from the parent), bit 8 set where a token ends, bit 9 set on a tail cell, and
/// in bits 10..31 the base. Moving from cell s on byte c goes to t = base(s) + c when label(t) == c.
/// Sixteen cells to a cache line (format 3 and 4 had eight, checked by parent): the 250k tries' walks
/// are bound by cache misses, and this halves the lines the same nodes take.
/// <para>
/// A label check is sound because no two cells share a base (the loader checks it once, in one pass),
/// so each cell has one parent and every walk that reaches it has matched the same bytes; a leaf's base
/// is 0, which leads to the root (label <see cref="RootLabel"/>) and the byte cells (label = index − 1),
/// none of which a step from it matches. Every base is at most node_count − 256, so no step leaves the
/// cells. A free cell is 0: a step may enter it on byte 0, where it ends the walk like any leaf.
/// </para>
/// A tail cell has no children and is not a token end itself: its base field is the
/// offset of its record in the tails section (the bytes left of the one token below it, whose id is the
/// cell's value).
/// </summary>
internal static class TrieCell
{
    public const uint LabelMask = 0xFF;
    public const uint TerminalBit = 1u << 8;
    public const uint TailBit = 1u << 9;
    public const int BaseShift = 10;

    /// <summary>The largest base (and tail offset) a cell can hold: node_count is at most this + 1.</summary>
    public const uint MaxBase = (1u << (32 - BaseShift)) - 1;

    /// <summary>The root's label: any but 0, the one byte on which a base-0 step reaches the root.</summary>
    public const uint RootLabel = 0xFF;

    public static uint Pack(uint baseIndex, uint label, bool terminal) =>
        (baseIndex << BaseShift) | (label & LabelMask) | (terminal ? TerminalBit : 0);

    public static uint PackTail(uint offset, uint label) => (offset << BaseShift) | TailBit | (label & LabelMask);

    public static uint Base(uint cell) => cell >> BaseShift;
    public static uint Label(uint cell) => cell & LabelMask;
    public static bool IsTerminal(uint cell) => (cell & TerminalBit) != 0;
    public static bool IsTail(uint cell) => (cell & TailBit) != 0;
    public static uint TailOffset(uint cell) => cell >> BaseShift;

    /// <summary>Whether the cell may have children: its base is 0 for a leaf and holds a record for a tail.</summary>
    public static bool HasBase(uint cell) => !IsTail(cell) && Base(cell) != 0;
}
