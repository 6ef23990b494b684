using System.Runtime.CompilerServices;

namespace Crayon.Training;

/// <summary>
/// Counts unique chunks (byte strings) with 64-bit counts. Open addressing over one byte arena, so
/// adding a chunk that is already known allocates nothing, and memory grows with the number of
/// unique chunks only, never with how often they occur. Not thread-safe: each counting thread owns
/// one table and the tables are folded together with <see cref="AddAll"/>.
/// </summary>
internal sealed class ChunkTable
{
    private byte[] _arena = new byte[1 << 12];
    private int _arenaUsed;
    private int[] _slots;          // entry index + 1; 0 = empty
    private int _mask;
    private int[] _offsets;        // where each chunk starts in the arena
    private int[] _lengths;
    private long[] _counts;
    private uint[] _hashes;
    private int _count;

    public ChunkTable(int capacity = 1024)
    {
        int size = 16;
        while (size < capacity * 2) size <<= 1;
        _slots = new int[size];
        _mask = size - 1;
        _offsets = new int[size / 2];
        _lengths = new int[size / 2];
        _counts = new long[size / 2];
        _hashes = new uint[size / 2];
    }

    /// <summary>Number of unique chunks.</summary>
    public int Count => _count;

    public ReadOnlySpan<byte> Chunk(int entry) => new(_arena, _offsets[entry], _lengths[entry]);

    public long CountOf(int entry) => _counts[entry];

    /// <summary>Bytes held by the table (arena + index), for memory reports.</summary>
    public long FootprintBytes => _arena.Length + (long)_slots.Length * 4 + (long)_offsets.Length * 24;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Hash(ReadOnlySpan<byte> chunk) => HashBytes(chunk);

    private static uint HashBytes(ReadOnlySpan<byte> chunk)
    {
        var h = new HashCode();
        h.AddBytes(chunk);
        return (uint)h.ToHashCode();
    }

    public void Add(ReadOnlySpan<byte> chunk, long count = 1) => Add(chunk, Hash(chunk), count);

    private void Add(ReadOnlySpan<byte> chunk, uint hash, long count)
    {
        int slot = (int)hash & _mask;
        while (true)
        {
            int e = _slots[slot] - 1;
            if (e < 0) break;
            if (_hashes[e] == hash && Chunk(e).SequenceEqual(chunk))
            {
                _counts[e] += count;
                return;
            }
            slot = (slot + 1) & _mask;
        }
        if (_count == _offsets.Length)
        {
            Grow();
            slot = (int)hash & _mask;
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
        }
        int offset = Store(chunk);
        int entry = _count++;
        _offsets[entry] = offset;
        _lengths[entry] = chunk.Length;
        _counts[entry] = count;
        _hashes[entry] = hash;
        _slots[slot] = entry + 1;
    }

    /// <summary>The value (count) stored for <paramref name="chunk"/>, or -1 when absent.</summary>
    public long Find(ReadOnlySpan<byte> chunk)
    {
        uint hash = Hash(chunk);
        int slot = (int)hash & _mask;
        while (true)
        {
            int e = _slots[slot] - 1;
            if (e < 0) return -1;
            if (_hashes[e] == hash && Chunk(e).SequenceEqual(chunk)) return _counts[e];
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>Stores <paramref name="value"/> for <paramref name="chunk"/>, replacing any earlier value
    /// (the table then serves as a bytes → rank map).</summary>
    public void Set(ReadOnlySpan<byte> chunk, long value)
    {
        long old = Find(chunk);
        Add(chunk, old < 0 ? value : value - old);
    }

    /// <summary>Adds every chunk of <paramref name="other"/> with its count.</summary>
    public void AddAll(ChunkTable other)
    {
        for (int e = 0; e < other._count; e++)
            Add(other.Chunk(e), other._hashes[e], other._counts[e]);
    }

    private int Store(ReadOnlySpan<byte> chunk)
    {
        if (_arenaUsed + chunk.Length > _arena.Length)
        {
            long want = Math.Max((long)_arena.Length * 2, (long)_arenaUsed + chunk.Length);
            if (want > Array.MaxLength)
                throw new OutOfMemoryException("the unique chunks exceed 2 GiB");
            Array.Resize(ref _arena, (int)want);
        }
        int offset = _arenaUsed;
        chunk.CopyTo(_arena.AsSpan(offset));
        _arenaUsed += chunk.Length;
        return offset;
    }

    private void Grow()
    {
        int size = _slots.Length * 2;
        _slots = new int[size];
        _mask = size - 1;
        Array.Resize(ref _offsets, size / 2);
        Array.Resize(ref _lengths, size / 2);
        Array.Resize(ref _counts, size / 2);
        Array.Resize(ref _hashes, size / 2);
        for (int e = 0; e < _count; e++)
        {
            int slot = (int)_hashes[e] & _mask;
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
            _slots[slot] = e + 1;
        }
    }
}
