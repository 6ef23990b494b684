using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// One bit per hash value of a set's keys, in front of a table that is rarely in any cache: a clear
/// bit proves a key absent without touching the table (most lookups of a BPE encoder are of strings
/// or pairs that are not tokens); a set bit sends the lookup on. Sized at least <c>bitsPerKey</c>
/// bits per key, so with 8 bits one absent key in eight gets through; small enough to stay in L2.
/// Filled once, then only read: any number of threads may read it.
/// </summary>
internal readonly struct BitFilter
{
    private readonly ulong[] _bits;
    private readonly int _shift;   // the hash's top bits choose the bit

    public BitFilter(long keys, int bitsPerKey)
    {
        int bits = 12;
        while ((1L << bits) < bitsPerKey * keys) bits++;
        _bits = new ulong[(1L << bits) >> 6];
        _shift = 64 - bits;
    }

    public long MemoryBytes => 8L * _bits.Length;

    /// <param name="hash">A well-mixed hash of the key: its top bits are used.</param>
    public void Add(ulong hash)
    {
        ulong b = hash >> _shift;
        _bits[b >> 6] |= 1UL << (int)b;
    }

    /// <summary>False when no key added has this hash; true when one may have.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MayContain(ulong hash)
    {
        ulong b = hash >> _shift;
        return (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bits), (nint)(b >> 6)) & (1UL << (int)b)) != 0;
    }
}
