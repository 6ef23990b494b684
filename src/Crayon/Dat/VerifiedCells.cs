using System.Runtime.InteropServices;

namespace Crayon.Dat;

/// <summary>
/// One bit per trie cell of a loaded profile: set once the token ending at that cell has been checked
/// against the bytes the walk matched to reach it (the cell's path is unique, so once is enough).
/// Bits are only ever set, so a racing read-modify-write can at worst drop a bit and cause one more
/// check — never a bit for an unchecked cell. Zeroed memory from the allocator, so untouched pages of
/// a large profile's bitmap cost no resident memory.
/// </summary>
internal sealed unsafe class VerifiedCells : IDisposable
{
    private ulong* _bits;
    private readonly int _words;

    public VerifiedCells(int cellCount)
    {
        _words = (cellCount + 63) >> 6;
        _bits = (ulong*)NativeMemory.AllocZeroed((nuint)_words, sizeof(ulong));
    }

    public ulong* Bits => _bits;

    public void Add(uint cell) => Interlocked.Or(ref _bits[cell >> 6], 1UL << (int)cell);

    /// <summary>After a full verification: every cell is known good.</summary>
    public void AddAll() => new Span<ulong>(_bits, _words).Fill(ulong.MaxValue);

    public void Dispose()
    {
        if (_bits != null) { NativeMemory.Free(_bits); _bits = null; }
    }
}
