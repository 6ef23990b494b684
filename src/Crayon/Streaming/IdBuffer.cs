using System.Runtime.CompilerServices;

namespace Crayon.Streaming;

/// <summary>
/// A growable list of ids that is reused from call to call (a session's ready queue, a shard
/// job's output): one array that only grows, so steady-state streaming allocates nothing.
/// </summary>
internal sealed class IdBuffer
{
    private int[] _items;

    public IdBuffer(int capacity = 1024) => _items = new int[Math.Max(16, capacity)];

    public int Count { get; private set; }

    public ReadOnlySpan<int> Span => _items.AsSpan(0, Count);

    public void Clear() => Count = 0;

    /// <summary>Empties the buffer and lets go of its array when it grew past maxCapacity (one huge document must not pin its memory).</summary>
    public void Reset(int maxCapacity)
    {
        Count = 0;
        if (_items.Length > maxCapacity) _items = new int[1024];
    }

    /// <summary>Room for n more ids: the span to write them into (call <see cref="Commit"/> after).</summary>
    public Span<int> Reserve(int n)
    {
        long need = (long)Count + n;
        if (need > _items.Length)
        {
            if (need > Array.MaxLength) throw new InvalidOperationException($"more than {Array.MaxLength} ids are pending in one buffer");
            Array.Resize(ref _items, (int)Math.Min(Array.MaxLength, Math.Max(need, 2L * _items.Length)));
        }
        return _items.AsSpan(Count, n);
    }

    public void Commit(int n) => Count += n;

    /// <summary>Keeps the first n ids.</summary>
    public void Truncate(int n) => Count = Math.Min(Count, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id)
    {
        if (Count == _items.Length) Reserve(1);
        _items[Count++] = id;
    }

    public void AddRange(ReadOnlySpan<int> ids)
    {
        ids.CopyTo(Reserve(ids.Length));
        Count += ids.Length;
    }

    /// <summary>Drops the first n ids (the ones a caller has taken).</summary>
    public void RemoveFront(int n)
    {
        if (n >= Count) { Count = 0; return; }
        _items.AsSpan(n, Count - n).CopyTo(_items);
        Count -= n;
    }
}
