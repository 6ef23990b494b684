using System.Runtime.ExceptionServices;

namespace Crayon.Streaming;

/// <summary>
/// A streaming tokenization session: text goes in as byte pieces of any size (<see cref="Feed"/>),
/// ids come out as soon as more text can no longer change them (<see cref="Take"/>), and
/// <see cref="Finish"/> ends the text. The ids are exactly those of tokenizing the whole text in one
/// call, wherever the pieces were cut — inside a character, a token, a pre-tokenizer run or a
/// special token (docs/streaming.md gives the rule each engine uses and why it is exact).
/// </summary>
/// <remarks>
/// Memory: the session holds only text whose ids are not final yet (a few bytes to a few hundred for
/// ordinary text; see <see cref="MaxPendingBytes"/> for text that never gives a safe point) plus the
/// ids not taken. After <see cref="Finish"/> the session starts a new, independent text.
/// Not thread-safe: one thread at a time per session (sessions on other threads are independent).
/// A session that failed (invalid UTF-8, a disallowed special token, no safe point within the limit)
/// stays failed: every later call throws the same exception.
/// </remarks>
public abstract class TokenStream : IDisposable
{
    /// <summary>The default of <see cref="MaxPendingBytes"/>: 256 MiB.</summary>
    public const int DefaultMaxPendingBytes = 256 << 20;

    private readonly IdBuffer _ready = new();
    private Exception? _failure;

    private protected TokenStream() { }

    /// <summary>Text fed but not yet turned into final ids.</summary>
    private protected ByteQueue Pending { get; } = new();

    /// <summary>Byte offset in the current text of Pending's first byte (for error messages).</summary>
    private protected long Offset { get; set; }

    /// <summary>Ids that are final and not yet taken.</summary>
    private protected IdBuffer Ready => _ready;

    /// <summary>
    /// The most text the session holds while waiting for a point where the ids are final. Text
    /// that offers none for longer (one whitespace run of hundreds of MiB, say) makes
    /// <see cref="Feed"/> fail with <see cref="NotSupportedException"/> instead of growing without end.
    /// </summary>
    public long MaxPendingBytes { get; set; } = DefaultMaxPendingBytes;

    /// <summary>Ids ready to <see cref="Take"/>.</summary>
    public int ReadyCount => _ready.Count;

    /// <summary>Bytes fed and held, whose ids are not final yet.</summary>
    public int PendingBytes => Pending.Length;

    /// <summary>Appends text; returns the number of ids ready to take.</summary>
    public int Feed(ReadOnlySpan<byte> bytes)
    {
        ThrowIfFailed();
        try
        {
            Pending.Append(bytes);
            Advance(final: false);
            if (Pending.Length > MaxPendingBytes)
                throw new NotSupportedException(
                    $"the text offers no point where the ids are final within {Pending.Length} bytes (the limit is {MaxPendingBytes}; "
                    + "e.g. one whitespace run that long): tokenize it in one call, or raise the session's pending limit");
        }
        catch (Exception e)
        {
            _failure = e;
            throw;
        }
        return _ready.Count;
    }

    /// <summary>Ends the text: every id becomes ready. The next <see cref="Feed"/> starts a new text.</summary>
    public int Finish()
    {
        ThrowIfFailed();
        try
        {
            Advance(final: true);
            if (Pending.Length != 0) throw new InvalidOperationException("internal error: text left after the end of the stream");
            Offset = 0;
            Restart();
        }
        catch (Exception e)
        {
            _failure = e;
            throw;
        }
        return _ready.Count;
    }

    /// <summary>Moves up to output.Length ready ids into output, oldest first; returns how many.</summary>
    public int Take(Span<int> output)
    {
        ThrowIfFailed();
        int n = Math.Min(output.Length, _ready.Count);
        _ready.Span[..n].CopyTo(output);
        _ready.RemoveFront(n);
        return n;
    }

    /// <summary>Convenience: all ready ids as a new array.</summary>
    public int[] TakeAll()
    {
        var ids = new int[ReadyCount];
        Take(ids);
        return ids;
    }

    /// <summary>
    /// Turns the pending text into ready ids as far as it is final; with <paramref name="final"/>,
    /// all of it (the text ends here).
    /// </summary>
    private protected abstract void Advance(bool final);

    /// <summary>Forgets per-text state after Finish.</summary>
    private protected virtual void Restart() { }

    private void ThrowIfFailed()
    {
        if (_failure != null) ExceptionDispatchInfo.Throw(_failure);
    }

    public virtual void Dispose() { }
}
