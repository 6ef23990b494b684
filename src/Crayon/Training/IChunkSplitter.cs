namespace Crayon.Training;

/// <summary>Receives the chunks (pre-tokens) of a text, in order, as UTF-8 bytes: each chunk is a
/// slice of the span given to <see cref="IChunkSplitter.Split"/>.</summary>
internal interface IChunkSink
{
    void OnChunk(ReadOnlySpan<byte> chunk);
}

/// <summary>
/// Splits UTF-8 text into the chunks BPE training counts and BPE encoding merges inside.
/// Implementations are immutable and thread-safe. Invalid UTF-8 is an <see cref="ArgumentException"/>.
/// </summary>
internal interface IChunkSplitter
{
    /// <summary>The split pattern this splitter implements, as the caller wrote it.</summary>
    string Pattern { get; }

    void Split(ReadOnlySpan<byte> utf8, IChunkSink sink);
}
