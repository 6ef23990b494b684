using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// Where encoded ids go: either a caller's fixed span (ids past its end are counted, not written,
/// so the caller learns the capacity it needs) or a growing pooled array (batch, tests).
/// Return the pooled array with <see cref="Dispose"/>.
/// </summary>
internal ref struct TokenWriter
{
    private Span<int> _dest;
    private int[]? _rented;
    private readonly bool _grow;

    /// <summary>Number of ids produced so far (may exceed the fixed span's length).</summary>
    public int Count { get; private set; }

    /// <summary>Writes into a caller's span; ids beyond it are only counted.</summary>
    public TokenWriter(Span<int> dest) { _dest = dest; _grow = false; }

    /// <summary>Writes into a growing array rented from the shared pool.</summary>
    public static TokenWriter Growing(int initialCapacity)
    {
        return new TokenWriter(ArrayPool<int>.Shared.Rent(Math.Max(16, initialCapacity)), grow: true);
    }

    private TokenWriter(int[] rented, bool grow) { _rented = rented; _dest = rented; _grow = grow; }

    /// <summary>True when every id produced so far was written.</summary>
    public readonly bool Fits => Count <= _dest.Length;

    /// <summary>The ids written (all of them when <see cref="Fits"/>).</summary>
    public readonly ReadOnlySpan<int> Written => _dest[..Math.Min(Count, _dest.Length)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id)
    {
        int c = Count;
        if ((uint)c < (uint)_dest.Length) _dest[c] = id;
        else if (_grow) { Grow(); _dest[c] = id; }
        Count = c + 1;
    }

    /// <summary>
    /// Adds <paramref name="ids"/> in order, as that many <see cref="Add"/> calls would: a cached
    /// piece's ids, which through <see cref="Add"/> each stored the count back to memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddRange(scoped ReadOnlySpan<int> ids)
    {
        int c = Count;
        if ((uint)c <= (uint)_dest.Length && _dest.Length - c >= ids.Length)
        {
            ref int to = ref Unsafe.Add(ref MemoryMarshal.GetReference(_dest), c);
            for (int k = 0; k < ids.Length; k++) Unsafe.Add(ref to, k) = ids[k];
            Count = c + ids.Length;
        }
        else AddEach(ids);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddEach(scoped ReadOnlySpan<int> ids)
    {
        foreach (int id in ids) Add(id);
    }

    /// <summary>
    /// Room for at least <paramref name="n"/> more ids, for a loop that writes them in place and then
    /// calls <see cref="Advance"/>: a growing writer grows first; a fixed span without that much room
    /// (or one already past its end) gives an empty span, and the caller goes on with <see cref="Add"/>.
    /// </summary>
    public Span<int> Reserve(int n)
    {
        int c = Count;
        if (_grow)
            while (_dest.Length - c < n) Grow(Math.Max(_dest.Length * 2, c + n));
        return (uint)c <= (uint)_dest.Length && _dest.Length - c >= n ? _dest[c..] : default;
    }

    /// <summary>Counts <paramref name="written"/> ids written in place into the span <see cref="Reserve"/> gave.</summary>
    public void Advance(int written) => Count += written;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow() => Grow(_dest.Length * 2);

    private void Grow(int capacity)
    {
        int[] bigger = ArrayPool<int>.Shared.Rent(capacity);
        _dest.CopyTo(bigger);
        if (_rented != null) ArrayPool<int>.Shared.Return(_rented);
        _rented = bigger;
        _dest = bigger;
    }

    public void Dispose()
    {
        if (_rented != null) ArrayPool<int>.Shared.Return(_rented);
        _rented = null;
        _dest = default;
    }
}
