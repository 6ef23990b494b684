using System.Text;
using Crayon.PreTokenize;

namespace Crayon.Tests.Bpe;

/// <summary>
/// The hand-written splitters against the pattern semantics: hand-derived cases for the tricky
/// alternatives, and agreement with the general regex path on text where .NET Regex is exact
/// (Basic Multilingual Plane only, no U+017F, no White_Space/\s disagreement).
/// </summary>
public class PreTokenizerTests
{
    private static readonly string NpmCl100k =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static string[] Split(string pattern, string text) => PreTokenizer.FromPattern(pattern).SplitToStrings(text).ToArray();

    [Theory]
    [InlineData("Hello world", new[] { "Hello", " world" })]
    [InlineData("I'm here", new[] { "I", "'m", " here" })]
    [InlineData("'sound", new[] { "'s", "ound" })]
    [InlineData("YOU'RE", new[] { "YOU", "'RE" })]
    [InlineData("a  b", new[] { "a", " ", " b" })]
    [InlineData("a   ", new[] { "a", "   " })]
    [InlineData("12345", new[] { "123", "45" })]
    [InlineData(" 12", new[] { " ", "12" })]
    [InlineData("x  \n\n  y", new[] { "x", "  \n\n", " ", " y" })]
    [InlineData("(hello)", new[] { "(hello", ")" })]
    [InlineData(" ...\n\nx", new[] { " ...\n\n", "x" })]
    [InlineData("\tfoo", new[] { "\tfoo" })]
    [InlineData("\t(", new[] { "\t", "(" })]
    [InlineData("\r\nfoo", new[] { "\r\n", "foo" })]
    [InlineData("𝕏𝕐 ok", new[] { "𝕏𝕐", " ok" })]              // non-BMP symbols: "other" run
    [InlineData("𐐀𐐁b", new[] { "𐐀𐐁b" })]                      // Deseret letters (non-BMP \p{L})
    [InlineData("x ſ x'ſ", new[] { "x", " ſ", " x", "'ſ" })]        // (?i)s folds U+017F
    public void Cl100kSplitsAsThePatternDoes(string text, string[] expected)
    {
        Assert.Equal(expected, Split(KnownPatterns.Cl100k, text));
        Assert.Equal(expected, Split(NpmCl100k, text));
    }

    [Theory]
    [InlineData("12345", new[] { "12", "34", "5" })]
    public void NanochatLimitsDigitRunsToTwo(string text, string[] expected) =>
        Assert.Equal(expected, Split(KnownPatterns.Nanochat, text));

    [Theory]
    [InlineData("HelloWorld", new[] { "Hello", "World" })]
    [InlineData("HELLOworld", new[] { "HELLOworld" })]
    [InlineData("HELLO world", new[] { "HELLO", " world" })]
    [InlineData("don't", new[] { "don't" })]
    [InlineData("path/to/\nx", new[] { "path", "/to", "/\n", "x" })]
    [InlineData("\u0301A ", new[] { "\u0301", "A", " " })]   // a lone mark is "lower": alternative 1 without prefix wins
    public void O200kSplitsAsThePatternDoes(string text, string[] expected) =>
        Assert.Equal(expected, Split(KnownPatterns.O200k, text));

    [Theory]
    [InlineData("I'm HERE's", new[] { "I", "'m", " HERE", "'s" })]
    [InlineData("it'S", new[] { "it", "'", "S" })]                // case-sensitive contractions
    [InlineData(" 123abc", new[] { " 123", "abc" })]
    [InlineData("a  \n b", new[] { "a", "  \n", " b" })]
    public void Gpt2SplitsAsThePatternDoes(string text, string[] expected) =>
        Assert.Equal(expected, Split(KnownPatterns.Gpt2, text));

    [Fact]
    public void KnownPatternsGetExactSplittersAndAnyDigitLimit()
    {
        Assert.IsType<Gpt4Splitter>(PreTokenizer.FromPattern(KnownPatterns.Cl100k));
        Assert.IsType<Gpt4Splitter>(PreTokenizer.FromPattern(NpmCl100k));
        var nano = Assert.IsType<Gpt4Splitter>(PreTokenizer.FromPattern(KnownPatterns.Nanochat));
        Assert.Equal(2, nano.MaxDigits);
        var k7 = Assert.IsType<Gpt4Splitter>(PreTokenizer.FromPattern(KnownPatterns.Cl100k.Replace("{1,3}", "{1,7}")));
        Assert.Equal(7, k7.MaxDigits);
        Assert.IsType<O200kSplitter>(PreTokenizer.FromPattern(KnownPatterns.O200k));
        Assert.IsType<Gpt2Splitter>(PreTokenizer.FromPattern(KnownPatterns.Gpt2));
        Assert.False(PreTokenizer.FromPattern(@"\w+|\s+").IsExact);
    }

    [Fact]
    public void InvalidUtf8IsRejected()
    {
        var pre = PreTokenizer.FromPattern(KnownPatterns.Cl100k);
        var e = Assert.Throws<InvalidUtf8Exception>(() => { foreach (var _ in pre.Split(new byte[] { (byte)'a', 0xFF })) { } });
        Assert.Equal(1, e.Offset);
        Assert.Throws<InvalidUtf8Exception>(() => { foreach (var _ in pre.Split(new byte[] { 0xED, 0xA0, 0x80 })) { } }); // surrogate
    }

    [Fact]
    public void GeneralPathTranslatesPossessiveQuantifiers()
    {
        Assert.Equal(@"(?>a?)b(?>[x]+)(?>(c|d)*)\z", RegexPreTokenizer.Translate(@"a?+b[x]++(c|d)*+$"));
    }

    [Fact]
    public void GeneralPathSkipsUnmatchedTextLikeFindIter()
    {
        var pre = PreTokenizer.FromPattern(@"a+|\p{N}++");
        Assert.False(pre.IsExact);
        Assert.Equal(new[] { "aa", "12", "a" }, pre.SplitToStrings("xaay12za"));
        Assert.Empty(pre.SplitToStrings(""));
        Assert.Empty(PreTokenizer.FromPattern(KnownPatterns.Cl100k).SplitToStrings(""));
    }

    [Fact]
    public void GeneralPathKeepsNonBmpCodePointsWhole()
    {
        // .NET sees two UTF-16 units; pieces still start and end on code points.
        var pre = PreTokenizer.FromPattern(@"[^\s]+|\s+");
        Assert.Equal(new[] { "𝕏y", " ", "😀" }, pre.SplitToStrings("𝕏y 😀"));
    }

    [Fact]
    public void UnsupportedGeneralPatternsAreArgumentErrors()
    {
        Assert.Throws<ArgumentException>(() => PreTokenizer.FromPattern("(unclosed"));
        Assert.Throws<ArgumentException>(() => PreTokenizer.FromPattern(@"[a[b]]"));
        Assert.Throws<ArgumentException>(() => PreTokenizer.FromPattern(@"\x{1F600}"));
    }

    private static string PatternNamed(string which) => which switch
    {
        "cl100k" => KnownPatterns.Cl100k,
        "nanochat" => KnownPatterns.Nanochat,
        "o200k" => KnownPatterns.O200k,
        "gpt2" => KnownPatterns.Gpt2,
        _ => throw new ArgumentException(which),
    };

    /// <summary>
    /// On random BMP text the exact splitters agree with .NET Regex running the same pattern
    /// (possessive quantifiers translated to atomic groups). Code points where the two engines'
    /// classes differ are left out: U+017F (case folding), and characters where .NET's \s differs
    /// from White_Space.
    /// </summary>
    [Theory]
    [InlineData("cl100k")]
    [InlineData("nanochat")]
    [InlineData("o200k")]
    [InlineData("gpt2")]
    public void ExactSplittersAgreeWithRegexOnBmpText(string which)
    {
        string alphabet = "aZé'sStTmMdDlLvVrReE  \t\n\r\r\n0123٣½Ⅻ.,;!?/()\"-_*ǅʰ中ñ\u0301\u0903\u20DD\u00A0\u3000";
        AssertSplittersAgree(which, docs: 3000, seed: 1234, rng =>
        {
            var sb = new StringBuilder();
            int len = rng.Next(0, 40);
            for (int k = 0; k < len; k++)
            {
                if (rng.Next(10) == 0)
                {
                    char ch = (char)rng.Next(0x20, 0xD800);
                    if (ch == '\u017F' || char.IsWhiteSpace(ch) != UnicodeClass.IsWhiteSpace(ch)) continue;
                    sb.Append(ch);
                }
                else sb.Append(alphabet[rng.Next(alphabet.Length)]);
            }
            return sb.ToString();
        });
    }

    /// <summary>
    /// Words of 1 to 40 letters, ASCII with now and then a non-ASCII letter or mark inside or at the
    /// end, between spaces, digits and punctuation: the splitters' 16-byte ASCII scans (a word that
    /// ends inside the first 16 bytes, at the 16th, past it, at a non-ASCII letter, near the end of
    /// the text) agree with the regex.
    /// </summary>
    [Theory]
    [InlineData("cl100k")]
    [InlineData("nanochat")]
    [InlineData("o200k")]
    public void ExactSplittersAgreeWithRegexOnLongWords(string which)
    {
        string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        string[] odd = ["é", "ß", "中", "\u0301", "ǅ", "я", "'s", "'LL"];
        string[] between = [" ", "  ", ".", ", ", "\n", "1", " 42", "-", "_", "'", "\t", "é"];
        AssertSplittersAgree(which, docs: 2000, seed: 99, rng =>
        {
            var sb = new StringBuilder();
            int words = rng.Next(1, 8);
            for (int w = 0; w < words; w++)
            {
                if (w > 0 || rng.Next(2) == 0) sb.Append(between[rng.Next(between.Length)]);
                int len = rng.Next(3) == 0 ? rng.Next(12, 41) : rng.Next(1, 12);
                for (int k = 0; k < len; k++)
                {
                    sb.Append(letters[rng.Next(letters.Length)]);
                    if (rng.Next(30) == 0) sb.Append(odd[rng.Next(odd.Length)]);
                }
            }
            return sb.ToString();
        });
    }

    /// <summary>
    /// Runs of three-byte code points, which the splitters skip by their 64-code-point group when the
    /// whole group shares the classes asked for: ideographs and Hangul syllables next to the groups
    /// where that stops (the Yijing symbols after CJK extension A, the unassigned end of Hangul, kana
    /// with their marks and symbols, the ideographic space and zero, Devanagari with its marks),
    /// mixed with ASCII, digits and two-byte letters. The splitters agree with the regex.
    /// </summary>
    [Theory]
    [InlineData("cl100k")]
    [InlineData("nanochat")]
    [InlineData("o200k")]
    public void ExactSplittersAgreeWithRegexOnThreeByteRuns(string which)
    {
        (int From, int To)[] ranges =
        [
            (0x4E00, 0x9FFF), (0x4D80, 0x4DFF), (0xAC00, 0xAC7F), (0xD780, 0xD7FF), (0x3040, 0x30FF),
            (0x3000, 0x3007), (0x0900, 0x097F), (0xF900, 0xFA7F), (0xFF10, 0xFF5F),
        ];
        string[] other = ["a", "Z", " ", "1", "é", "я", ".", "\n", "'s"];
        AssertSplittersAgree(which, docs: 3000, seed: 7, rng =>
        {
            var sb = new StringBuilder();
            int runs = rng.Next(1, 6);
            for (int run = 0; run < runs; run++)
            {
                (int from, int to) = ranges[rng.Next(ranges.Length)];
                int len = rng.Next(1, 30);
                for (int k = 0; k < len; k++) sb.Append((char)rng.Next(from, to + 1));
                if (rng.Next(2) == 0) sb.Append(other[rng.Next(other.Length)]);
            }
            return sb.ToString();
        });
    }

    /// <summary>
    /// The three-byte skip never passes a code point without the classes asked for, and it does skip
    /// ideographs (a table of zeros would pass the splitter tests above by never skipping).
    /// </summary>
    [Fact]
    public void ThreeByteRunSkipsOnlyCodePointsWithTheClassesAskedFor()
    {
        UnicodeClass uc = UnicodeClass.Shared;
        byte[] wants = [UnicodeClass.Letter, UnicodeClass.Lowerish, UnicodeClass.Upperish | UnicodeClass.Lowerish, UnicodeClass.Number, UnicodeClass.Space];
        int skipped = 0;
        for (int c = 0x800; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            byte[] bytes = Encoding.UTF8.GetBytes(char.ConvertFromUtf32(c) + "!");
            foreach (byte want in wants)
            {
                int end = uc.ThreeByteRun(bytes, 0, want);
                Assert.True(end == 0 || end == 3, $"U+{c:X4}");
                if (end == 3)
                {
                    Assert.Equal(want, (byte)(uc.Of(c) & want));
                    skipped++;
                }
            }
        }
        Assert.True(skipped > 40_000, $"only {skipped} skips");
        // The flag that starts a skip marks only three-byte letters of both o200k classes.
        for (int c = 0; c <= 0x10FFFF; c++)
        {
            if ((uc.Of(c) & UnicodeClass.RunOfThree) == 0) continue;
            Assert.InRange(c, 0x800, 0xFFFF);
            const byte both = UnicodeClass.Letter | UnicodeClass.Upperish | UnicodeClass.Lowerish;
            Assert.Equal(both, (byte)(uc.Of(c) & both));
        }
        Assert.NotEqual(0, uc.Of('中') & UnicodeClass.RunOfThree);
        Assert.NotEqual(0, uc.Of('한') & UnicodeClass.RunOfThree);
        Assert.Equal(0, uc.Of('क') & UnicodeClass.RunOfThree);   // its group holds marks
        Assert.Equal(0, uc.Of('я') & UnicodeClass.RunOfThree);
        Assert.Equal(9, uc.ThreeByteRun(Encoding.UTF8.GetBytes("中文字."), 0, UnicodeClass.Letter));
        Assert.Equal(3, uc.ThreeByteRun(Encoding.UTF8.GetBytes("中a文"), 0, UnicodeClass.Letter));
        Assert.Equal(5, uc.ThreeByteRun(Encoding.UTF8.GetBytes("ab中"), 2, UnicodeClass.Letter));
    }

    /// <summary>The exact splitter of the named pattern and .NET Regex give the same pieces on every generated text.</summary>
    private static void AssertSplittersAgree(string which, int docs, int seed, Func<Random, string> text)
    {
        string pattern = PatternNamed(which);
        var exact = PreTokenizer.FromPattern(pattern);
        var general = new RegexPreTokenizer(pattern);
        var rng = new Random(seed);
        for (int doc = 0; doc < docs; doc++)
        {
            string t = text(rng);
            Assert.Equal(general.SplitToStrings(t), exact.SplitToStrings(t));
        }
    }
}
