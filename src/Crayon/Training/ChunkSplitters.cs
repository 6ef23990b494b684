namespace Crayon.Training;

/// <summary>Picks the splitter for a split pattern.</summary>
internal static class ChunkSplitters
{
    /// <summary>rustbpe's default: the GPT-4 (cl100k_base) pattern.</summary>
    public const string Gpt4Pattern =
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>nanochat's SPLIT_PATTERN: GPT-4's with numbers of at most two digits.</summary>
    public const string NanochatPattern =
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";

    /// <summary>The splitter for <paramref name="pattern"/> (null: the GPT-4 pattern). An invalid
    /// pattern is an <see cref="ArgumentException"/>.</summary>
    public static IChunkSplitter Create(string? pattern)
    {
        pattern ??= Gpt4Pattern;
        return new RegexChunkSplitter(pattern);
    }
}
