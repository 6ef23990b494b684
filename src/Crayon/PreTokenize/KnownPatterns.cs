using System.Globalization;

namespace Crayon.PreTokenize;

/// <summary>
/// Recognises the split patterns that have an exact hand-written splitter, by exact string, in every
/// spelling tiktoken has published (the npm build's, and the Python package's possessive forms, which
/// match the same pieces). "{K}" stands for the digit-run limit of <c>\p{N}{1,K}</c>, any K from 1 to 99.
/// </summary>
internal static class KnownPatterns
{
    public const string Cl100k =
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
    public const string Nanochat =
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,2}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+";
    public const string O200k =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Gpt2 =
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private static readonly string[] s_gpt4 =
    [
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,{K}}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+",
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,{K}}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
        @"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,{K}}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s",
    ];

    private static readonly string[] s_o200k =
    [
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,{K}}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    ];

    private static readonly string[] s_gpt2 =
    [
        Gpt2,
        @"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s",
    ];

    /// <summary>The exact splitter for a known pattern, or null.</summary>
    public static PreTokenizer? TryCreate(string pattern)
    {
        foreach (string t in s_gpt4)
            if (MatchTemplate(pattern, t, out int k)) return new Gpt4Splitter(pattern, k);
        foreach (string t in s_o200k)
            if (MatchTemplate(pattern, t, out int k)) return new O200kSplitter(pattern, k);
        foreach (string t in s_gpt2)
            if (pattern == t) return new Gpt2Splitter(pattern);
        return null;
    }

    private static bool MatchTemplate(string pattern, string template, out int k)
    {
        k = 0;
        int at = template.IndexOf("{K}", StringComparison.Ordinal);
        string head = template[..at], tail = template[(at + 3)..];
        if (pattern.Length <= head.Length + tail.Length
            || !pattern.StartsWith(head, StringComparison.Ordinal)
            || !pattern.EndsWith(tail, StringComparison.Ordinal))
            return false;
        string digits = pattern[head.Length..^tail.Length];
        return digits.Length <= 2 && digits.All(char.IsAsciiDigit)
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out k) && k >= 1;
    }
}
