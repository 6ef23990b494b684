using System.Text;
using System.Text.RegularExpressions;

namespace Crayon.Fuzz;

/// <summary>
/// The published split patterns run by .NET's backtracking Regex, which has the same leftmost-first
/// alternation and greedy semantics as the regex engines tiktoken uses. .NET lacks possessive
/// quantifiers, so <c>X?+</c> / <c>X++</c> are written as the equivalent atomic groups <c>(?&gt;X?)</c> /
/// <c>(?&gt;X+)</c>. .NET matches UTF-16 code units and its \p{..} classes follow its own Unicode
/// tables, so the oracle holds only on texts built from <see cref="Alphabet"/>: code points whose
/// classes no Unicode version has changed. A code point outside the BMP would be two UTF-16 units to
/// the regex (and "[^\p{L}]?" takes only one of them), so the regex sees a BMP stand-in of the same
/// class in its place, and piece offsets are counted in the real text's UTF-8 bytes.
/// </summary>
internal sealed class ReferenceSplitter(string pattern)
{
    private readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant);

    public static readonly ReferenceSplitter Cl100k = new(
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,3}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+");
    public static readonly ReferenceSplitter Nanochat = new(
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)\p{L}+|\p{N}{1,2}| ?(?>[^\s\p{L}\p{N}]+)[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+");
    public static readonly ReferenceSplitter O200k = new(
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+");
    public static readonly ReferenceSplitter Gpt2 = new(
        @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");

    /// <summary>
    /// Letters of every case class (Ll, Lu, Lt, Lm, Lo), marks (Mn, Mc, Me), numbers (Nd, Nl, No),
    /// the contraction letters in both cases, every kind of white space the patterns tell apart, ASCII
    /// and other punctuation and symbols, format characters and two emoji outside the BMP.
    /// </summary>
    public static readonly string[] Alphabet =
    [
        "a", "b", "x", "A", "Z", "s", "t", "d", "m", "l", "v", "e", "r", "S", "T", "D", "M", "L", "V", "E", "R",
        "'", "'", "'", "0", "1", "9", " ", " ", " ", "\t", "\n", "\r", "\v", "\f", "\u0085", "\u00A0", "\u2028", "\u3000",
        ".", ",", "!", "?", "/", "-", "_", "\"", "(", "$", "é", "É", "ǅ", "ʰ", "א", "中", "\u0301", "\u0903", "\u20DD",
        "²", "٣", "Ⅻ", "½", "€", "©", "\u200B", "\u00AD", "\u0001", "😀", "🎉", "𝐀", "𝟘", "𐍈",
    ];

    /// <summary>The BMP character the regex sees for each entry outside the BMP (same class).</summary>
    private static readonly Dictionary<string, char> s_standIn = new()
    {
        ["😀"] = '©', ["🎉"] = '©',   // So
        ["𝐀"] = 'A',                  // Lu (MATHEMATICAL BOLD CAPITAL A)
        ["𝟘"] = '0',                  // Nd (MATHEMATICAL DOUBLE-STRUCK DIGIT ZERO)
        ["𐍈"] = 'א',                  // Lo (GOTHIC LETTER HWAIR)
    };

    /// <summary>The text the input bytes stand for (one alphabet entry per byte), as UTF-8, with the
    /// one-char-per-entry string the regex runs on and the UTF-8 offset of each of its chars.</summary>
    public static (byte[] Utf8, string ForRegex, int[] ByteAt) Text(ReadOnlySpan<byte> input)
    {
        var real = new StringBuilder(input.Length);
        var forRegex = new StringBuilder(input.Length);
        var byteAt = new int[input.Length + 1];
        for (int i = 0; i < input.Length; i++)
        {
            string entry = Alphabet[input[i] % Alphabet.Length];
            real.Append(entry);
            forRegex.Append(entry.Length == 1 ? entry[0] : s_standIn[entry]);
            byteAt[i + 1] = byteAt[i] + Encoding.UTF8.GetByteCount(entry);
        }
        return (Encoding.UTF8.GetBytes(real.ToString()), forRegex.ToString(), byteAt);
    }

    /// <summary>Pieces as (UTF-8 start, UTF-8 length).</summary>
    public List<(int Start, int Length)> Split(string forRegex, int[] byteAt)
    {
        var pieces = new List<(int, int)>();
        for (Match m = _regex.Match(forRegex); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) throw new FuzzFailure("the reference pattern matched the empty string");
            pieces.Add((byteAt[m.Index], byteAt[m.Index + m.Length] - byteAt[m.Index]));
        }
        return pieces;
    }
}
