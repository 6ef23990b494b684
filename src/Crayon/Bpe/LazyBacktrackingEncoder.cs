namespace Crayon.Bpe;

/// <summary>
/// One encoding's <see cref="BacktrackingEncoder"/>, built the first time a long piece needs it, so
/// loading an encoding costs nothing more (most text never has a piece long enough to need it).
/// </summary>
/// <remarks>
/// Thread-safe without blocking: the first thread to ask builds the tables while encoding its piece;
/// threads that ask meanwhile get null and use the merge paths, which give the same ids. A vocabulary
/// the design does not fit (see <see cref="BacktrackingEncoder.TryBuild"/>) stays null for good.
/// </remarks>
internal sealed class LazyBacktrackingEncoder(byte[] arena, int[] offsets, int[] lengths)
{
    private const int NotBuilt = 0, Building = 1, Done = 2;
    private BacktrackingEncoder? _encoder;
    private int _state;

    /// <summary>The encoder, once built; null while another thread builds it, or when it does not fit the vocabulary.</summary>
    public BacktrackingEncoder? Get(BytePairMerger.Ranks ranks)
    {
        if (Volatile.Read(ref _state) == Done) return _encoder;
        if (Interlocked.CompareExchange(ref _state, Building, NotBuilt) != NotBuilt) return null;
        try
        {
            _encoder = BacktrackingEncoder.TryBuild(arena, offsets, lengths, ranks);
        }
        catch (OutOfMemoryException)
        {
            // The tables are a speed-up: without them the merge paths give the same ids.
        }
        finally
        {
            Volatile.Write(ref _state, Done);
        }
        return _encoder;
    }

    /// <summary>As <see cref="Get"/>, but waits for a build that another thread has started (tests).</summary>
    internal BacktrackingEncoder? GetWaiting(BytePairMerger.Ranks ranks)
    {
        BacktrackingEncoder? encoder = Get(ranks);
        var spin = new SpinWait();
        while (Volatile.Read(ref _state) != Done) spin.SpinOnce();
        return encoder ?? _encoder;
    }
}
