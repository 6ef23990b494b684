using Crayon.PreTokenize;

namespace Crayon.Training;

/// <summary>Picks the splitter for a split pattern.</summary>
internal static class ChunkSplitters
{
    /// <summary>rustbpe's default: the GPT-4 (cl100k_base) pattern.</summary>
    public const string Gpt4Pattern = KnownPatterns.Cl100k;

    /// <summary>
    /// The splitter for <paramref name="pattern"/> (null: the GPT-4 pattern): the exact code-point
    /// splitter of Crayon.PreTokenize for the patterns it knows (GPT-4/cl100k and its \p{N}{1,k}
    /// variants such as nanochat's, o200k, gpt2), else the general regex path. An invalid pattern
    /// is an <see cref="ArgumentException"/>.
    /// </summary>
    public static IChunkSplitter Create(string? pattern)
    {
        pattern ??= Gpt4Pattern;
        PreTokenizer? exact = KnownPatterns.TryCreate(pattern);
        return exact != null ? new ExactSplitter(exact) : new RegexChunkSplitter(pattern);
    }

    /// <summary>Adapts an exact <see cref="PreTokenizer"/> (validates UTF-8, then splits).</summary>
    private sealed class ExactSplitter(PreTokenizer pre) : IChunkSplitter
    {
        public string Pattern => pre.Pattern;

        public void Split(ReadOnlySpan<byte> utf8, IChunkSink sink)
        {
            foreach (PreTokenizer.Piece p in pre.Split(utf8))
                sink.OnChunk(utf8.Slice(p.Start, p.Length));
        }
    }
}
