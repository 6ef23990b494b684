namespace Crayon.Streaming;

/// <summary>
/// Bytes a session holds: appended at the back, consumed from the front. The buffer is compacted
/// instead of reallocated, so it stays as large as the most text held at once.
/// </summary>
internal sealed class ByteQueue
{
    private byte[] _items = new byte[64 << 10];
    private int _start, _end;

    public int Length => _end - _start;

    public ReadOnlySpan<byte> Span => _items.AsSpan(_start, _end - _start);

    /// <summary>The same bytes as <see cref="Span"/>, for work handed to other threads (valid until the next Append).</summary>
    public ReadOnlyMemory<byte> Memory => _items.AsMemory(_start, _end - _start);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _items.Length - _end)
        {
            long need = (long)Length + bytes.Length;
            if (need > Array.MaxLength) throw new InvalidOperationException($"a session cannot hold more than {Array.MaxLength} bytes");
            if (need > _items.Length)
            {
                var bigger = new byte[(int)Math.Min(Array.MaxLength, Math.Max(need, 2L * _items.Length))];
                Span.CopyTo(bigger);
                _items = bigger;
            }
            else Span.CopyTo(_items);
            _end = Length;
            _start = 0;
        }
        bytes.CopyTo(_items.AsSpan(_end));
        _end += bytes.Length;
    }

    public void Consume(int n)
    {
        if ((uint)n > (uint)Length) throw new ArgumentOutOfRangeException(nameof(n));
        _start += n;
        if (_start == _end) _start = _end = 0;
    }

    public void Clear() => _start = _end = 0;
}
