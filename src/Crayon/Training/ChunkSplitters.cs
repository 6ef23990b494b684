using Crayon.PreTokenize;

namespace Crayon.Training;

/// <summary>Picks the splitter for a split pattern.</summary>
internal static class ChunkSplitters
{
    /// <summary>rustbpe's default: the GPT-4 (cl100k_base) pattern.</summary>
    public const string Gpt4Pattern = KnownPatterns.Cl100k;

    /// <summary>
    /// The splitter for <paramref name="pattern"/> (null: the GPT-4 pattern): the BPE encoder's
    /// <see cref="PreTokenizer.FromPattern"/>, i.e. the exact code-point splitter for the patterns it
    /// knows (GPT-4/cl100k and its \p{N}{1,k} variants such as nanochat's, o200k, gpt2), else the
    /// general regex path. An invalid pattern, or one that matches the empty string (it could not
    /// cut text into chunks), is an <see cref="ArgumentException"/>.
    /// </summary>
    public static PreTokenizerSplitter Create(string? pattern)
    {
        pattern ??= Gpt4Pattern;
        PreTokenizer pre;
        try
        {
            pre = PreTokenizer.FromPattern(pattern);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid split pattern {pattern}: {e.Message}", e);
        }
        if (pre is RegexPreTokenizer general && general.MatchesEmpty)
            throw new ArgumentException($"invalid split pattern {pattern}: it matches the empty string, so it cannot split text");
        return new PreTokenizerSplitter(pre);
    }
}

/// <summary>Adapts a <see cref="PreTokenizer"/> to the trainer's chunk sink (validates UTF-8, then splits).</summary>
internal sealed class PreTokenizerSplitter(PreTokenizer pre) : IChunkSplitter
{
    public PreTokenizer PreTokenizer => pre;

    public string Pattern => pre.Pattern;

    public void Split(ReadOnlySpan<byte> utf8, IChunkSink sink)
    {
        foreach (PreTokenizer.Piece p in pre.Split(utf8))
            sink.OnChunk(utf8.Slice(p.Start, p.Length));
    }
}
