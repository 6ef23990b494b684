namespace Crayon.Dat;

/// <summary>
/// One cell of the mapped double array (format 3), a little-endian u64: the base in the low 32 bits,
/// the check word in the high 32 — the parent cell in bits 0..30 and, in bit 31, whether a token ends
/// here. Moving from cell s on byte c goes to t = base(s) + c when parent(t) == s; a t outside the
/// cells becomes 0, the root, whose check is <see cref="FreeCheck"/> and so never matches.
/// Eight bytes per cell keep eight cells to a cache line; the token id lives in a separate array that
/// is read once per token, not once per byte.
/// A tail cell (format 4) has no children and is not a token end itself: its base has
/// <see cref="TailBit"/> set and the rest is the offset of its record in the tails section (the bytes
/// left of the one token below it, whose id is the cell's value).
/// </summary>
internal static class TrieCell
{
    public const uint TerminalBit = 1u << 31;
    public const uint TailBit = 1u << 31;
    public const uint ParentMask = TerminalBit - 1;

    /// <summary>The check word of a free cell: a parent no walk can be at, since node_count ≤ 2^28.</summary>
    public const uint FreeCheck = ParentMask;

    public static ulong Pack(uint baseIndex, uint check) => baseIndex | ((ulong)check << 32);
    public static uint Base(ulong cell) => (uint)cell;
    public static uint Check(ulong cell) => (uint)(cell >> 32);
    public static uint Parent(ulong cell) => (uint)(cell >> 32) & ParentMask;
    public static bool IsTerminal(ulong cell) => (cell >> 63) != 0;
    public static bool IsFree(ulong cell) => Check(cell) == FreeCheck;
    public static bool IsTail(ulong cell) => !IsTerminal(cell) && (Base(cell) & TailBit) != 0;
    public static uint TailOffset(ulong cell) => Base(cell) & ~TailBit;
}
