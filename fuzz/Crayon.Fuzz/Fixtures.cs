using System.Text;
using Crayon.Bpe;
using Crayon.Dat;
using Crayon.Normalization;
using Crayon.PreTokenize;

namespace Crayon.Fuzz;

/// <summary>
/// What the targets share, built once per process: the published cl100k_base and o200k_base rank
/// files (from $CRAYON_TIKTOKEN_DIR, written by `make peers`) loaded both by the engine and by the
/// oracle's own parser, and small real profiles built with DatWriter.
/// </summary>
internal static class Fixtures
{
    public sealed record Encoding(string Name, BpeEncoding Engine, ReferenceRanks Reference, string[] SpecialNames, int[] SpecialIds);

    private static readonly Lazy<Encoding> s_cl100k = new(() => Load("cl100k_base", KnownPatterns.Cl100k,
        ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"],
        [100257, 100258, 100259, 100260, 100276]));
    private static readonly Lazy<Encoding> s_o200k = new(() => Load("o200k_base", KnownPatterns.O200k,
        ["<|endoftext|>", "<|endofprompt|>"], [199999, 200018]));

    public static Encoding Cl100k => s_cl100k.Value;
    public static Encoding O200k => s_o200k.Value;

    private static Encoding Load(string name, string pattern, string[] specialNames, int[] specialIds)
    {
        string dir = Environment.GetEnvironmentVariable("CRAYON_TIKTOKEN_DIR") ?? "build/tiktoken";
        string path = Path.Combine(dir, name + ".tiktoken");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} is missing: run `make peers` or set CRAYON_TIKTOKEN_DIR");
        byte[] data = File.ReadAllBytes(path);
        return new Encoding(name, BpeEncoding.FromTiktokenData(data, pattern, specialNames, specialIds),
                            ReferenceRanks.Parse(data) ?? throw new InvalidDataException($"{path}: the oracle cannot parse it"),
                            specialNames, specialIds);
    }

    /// <summary>Tiny vocabularies (a few dozen entries) that still reach every part of the trie and NFC paths.</summary>
    public static readonly string[][] Vocabularies =
    [
        ["he", "hello", "hel", "ll", "lo", "lo wo", "world", "wor", "or", "the", "th", " the", "quick", " brown", "fox", "  ", "\n\n"],
        ["é", "café", "naïve", "ü", "über", "ß", "中文", "中", "文字", "😀", "😀😀", "☃", "e\u0301", "ü", "Å"],
        ["int ", "return", "();", "{\n", "}\n", "    ", "\t\t", "==", "!=", "->", "=>", "//", "/*", "*/", "0x", "00", "ff"],
    ];

    /// <summary>The .dat image of vocabulary v, with or without NFC normalisation.</summary>
    public static byte[] Dat(int v, bool nfc) =>
        DatWriter.Build(Vocabularies[v].Select(s => System.Text.Encoding.UTF8.GetBytes(s)).ToList(), $"fuzz{v}", "fuzz seed",
                        nfc ? TextNormalization.Nfc : TextNormalization.None);

    /// <summary>Texts tokenized by the profile targets: ASCII, words of the vocabularies, NFC cases, invalid UTF-8.</summary>
    public static readonly byte[][] Texts =
    [
        [],
        "hello world, the quick brown fox"u8.ToArray(),
        "café naïve über ß 中文字 😀😀😀 ☃ e\u0301 A\u030A"u8.ToArray(),
        "int main() {\n    return 0x00ff == 0;\n}\n"u8.ToArray(),
        [0xff, 0xfe, (byte)'h', (byte)'e', 0xc3, (byte)'l', (byte)'l', 0xe2, 0x98, (byte)'o', 0xf0, 0x9f, 0x98],
        [0x65, 0xcc, 0x81, 0xcc, 0x81, 0x0a, 0xed, 0xa0, 0x80, 0xc3, 0xa9, 0x00],
    ];

    public static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static string Latin1(ReadOnlySpan<byte> b) => System.Text.Encoding.Latin1.GetString(b);
}
