namespace Crayon;

/// <summary>
/// The standard tiktoken encodings: rank file, split pattern and special tokens, as OpenAI publishes
/// them (the same table as bindings/python/crayon/compat/_tiktoken_registry.py). The patterns are
/// the spellings the engine's hand-written pre-tokenizers recognise.
/// </summary>
internal static class KnownEncodings
{
    internal sealed record Spec(string Name, string RankFile, string Pattern, (string Token, int Id)[] Specials, string Sha256);

    private const string EndOfText = "<|endoftext|>";
    private const string FimPrefix = "<|fim_prefix|>";
    private const string FimMiddle = "<|fim_middle|>";
    private const string FimSuffix = "<|fim_suffix|>";
    private const string EndOfPrompt = "<|endofprompt|>";

    private const string R50kPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string Cl100kPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private const string R50kSha = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930";
    private const string P50kSha = "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069";

    public static readonly Spec[] All =
    [
        new("gpt2", "gpt2.tiktoken", R50kPattern, [(EndOfText, 50256)], R50kSha),
        new("r50k_base", "r50k_base.tiktoken", R50kPattern, [(EndOfText, 50256)], R50kSha),
        new("p50k_base", "p50k_base.tiktoken", R50kPattern, [(EndOfText, 50256)], P50kSha),
        new("p50k_edit", "p50k_base.tiktoken", R50kPattern,
            [(EndOfText, 50256), (FimPrefix, 50281), (FimMiddle, 50282), (FimSuffix, 50283)], P50kSha),
        new("cl100k_base", "cl100k_base.tiktoken", Cl100kPattern,
            [(EndOfText, 100257), (FimPrefix, 100258), (FimMiddle, 100259), (FimSuffix, 100260), (EndOfPrompt, 100276)],
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),
        new("o200k_base", "o200k_base.tiktoken", O200kPattern, [(EndOfText, 199999), (EndOfPrompt, 200018)],
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),
    ];

    public static Spec? Find(string name)
    {
        foreach (Spec s in All)
            if (s.Name == name) return s;
        return null;
    }

    public static string Names => string.Join(", ", Array.ConvertAll(All, s => s.Name));
}
