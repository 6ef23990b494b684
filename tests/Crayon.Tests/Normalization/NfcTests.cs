using System.Text;
using Crayon.Normalization;

namespace Crayon.Tests.Normalization;

/// <summary>
/// The NFC normaliser on its own. Expected values are Python's unicodedata.normalize("NFC", ...)
/// (the tables' source); tests/python/test_engine_nfc.py compares whole corpora and every code point.
/// </summary>
public class NfcTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    private static string Nfc_(string s) => Encoding.UTF8.GetString(Nfc.Normalize(Utf8(s)));

    [Theory]
    [InlineData("e\u0301", "\u00E9")]                                     // combining sequence composes
    [InlineData("A\u030A\u0301", "\u01FA")]                               // two levels: Å then Ǻ
    [InlineData("\u00C7\u0301", "\u1E08")]                                // composite + mark → composite
    [InlineData("\u212B", "\u00C5")]                                      // singleton (Angstrom sign)
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]                          // Hangul L V T → LVT
    [InlineData("\u1100\u1161", "\uAC00")]                                // L V → LV
    [InlineData("\uAC00\u11A8", "\uAC01")]                                // LV T → LVT
    [InlineData("\uAC01\u11A8", "\uAC01\u11A8")]                          // LVT takes no second T
    [InlineData("\u1100\u0300\u1161", "\u1100\u0300\u1161")]              // a mark blocks L + V
    [InlineData("a\u0301\u0323", "\u1EA1\u0301")]                         // canonical reordering, then composition
    [InlineData("a\u0323\u0301", "\u1EA1\u0301")]
    [InlineData("q\u0307\u0323", "q\u0323\u0307")]                        // reordering with nothing to compose
    [InlineData("\u0958", "\u0915\u093C")]                                // composition exclusion (Devanagari QA)
    [InlineData("\u0344", "\u0308\u0301")]                                // non-starter decomposition
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]                    // non-BMP exclusion
    [InlineData("\U0001D160", "\U0001D158\U0001D165\U0001D16E")]          // 4 bytes → 12: the 3x expansion
    [InlineData("\U00011099\U000110BA", "\U0001109A")]                    // non-BMP composition (Kaithi)
    [InlineData("\u0B47\u0B3E", "\u0B4B")]                                // starter + starter (Oriya)
    [InlineData("\u0B47\u0300\u0B3E", "\u0B47\u0300\u0B3E")]              // ... blocked by a mark between
    [InlineData("\u0301e", "\u0301e")]                                    // a leading mark stays
    [InlineData("\u1E9B\u0323", "\u1E9B\u0323")]                          // UAX #15's long-s example
    [InlineData("caf\u0065\u0301 na\u0131\u0308ve x\u0301y", "caf\u00E9 na\u0131\u0308ve x\u0301y")]
    public void Normalizes_like_unicodedata(string input, string expected) => Assert.Equal(expected, Nfc_(input));

    [Fact]
    public void Ascii_is_returned_in_place()
    {
        byte[] ascii = Utf8("The quick brown fox, 0123456789 {}[]\t\n\0\x7f");
        Assert.Same(ascii, Nfc.Normalize(ascii));
        Assert.True(Nfc.IsNormalized(ascii));
        Assert.True(Nfc.IsNormalized([]));
    }

    [Theory]
    [InlineData("Ünïcödé — ça marche, 日本語のテキスト, emoji 🖍️🚀 too")]
    [InlineData("한국어 텍스트는 음절로 씁니다")]                            // Hangul syllables are NFC
    [InlineData("Tiếng Việt có dấu: ạ́ ở ữ")]
    [InlineData("\u0B95\u0BBE \u0B95\u0BCA")]                               // NFC_QC Maybe (U+0BBE) that stays
    [InlineData("\u0301\u0301 x\u0301y")]                                 // marks with nothing to join
    public void Nfc_text_is_returned_in_place(string text)
    {
        byte[] bytes = Utf8(text);
        Assert.Same(bytes, Nfc.Normalize(bytes));
    }

    [Fact]
    public void Only_the_segments_that_change_are_rewritten()
    {
        string text = string.Concat(Enumerable.Repeat("naïve café 日本語 ", 200)) + "e\u0301" + string.Concat(Enumerable.Repeat(" ok ✓", 300));
        string expected = text.Replace("e\u0301", "\u00E9");
        Assert.Equal(expected, Nfc_(text));
    }

    [Fact]
    public void Invalid_utf8_passes_through_and_nothing_combines_across_it()
    {
        // e, a stray continuation byte, then a combining acute: the acute stays a separate mark.
        byte[] across = [(byte)'e', 0x80, 0xCC, 0x81];
        Assert.Same(across, Nfc.Normalize(across));
        // valid runs on each side are normalised on their own; the invalid bytes stay where they were
        byte[] mixed = [.. Utf8("e\u0301"), 0xFF, 0xC0, 0xAF, .. Utf8("\u212B"), 0xED, 0xA0, 0x80, .. Utf8("A\u030A"), 0xE2, 0x82];
        byte[] expected = [.. Utf8("\u00E9"), 0xFF, 0xC0, 0xAF, .. Utf8("\u00C5"), 0xED, 0xA0, 0x80, .. Utf8("\u00C5"), 0xE2, 0x82];
        Assert.Equal(expected, Nfc.Normalize(mixed));
    }

    [Fact]
    public void Long_runs_of_marks_are_ordered_stably()
    {
        // 80 marks alternating classes 230 / 220: past the insertion-sort size and the stack scratch.
        string text = "a" + string.Concat(Enumerable.Repeat("\u0301\u0323", 40)) + " z";
        string expected = "\u1EA1" + new string('\u0323', 39) + new string('\u0301', 40) + " z";
        Assert.Equal(expected, Nfc_(text));
        // Many marks of one class keep their order (stable), so the text is already NFC.
        byte[] same = Utf8("x" + string.Concat(Enumerable.Repeat("\u0301\u0300\u0302", 50)));
        Assert.Same(same, Nfc.Normalize(same));
    }

    [Fact]
    public void Normalizing_is_idempotent_and_splits_at_invalid_bytes()
    {
        // Random strings over characters that decompose, compose, reorder, or are Hangul.
        string[] alphabet = ["a", "e", "A", "o", "\u0301", "\u0300", "\u0323", "\u0308", "\u0327", "\u030A", "\u0345",
                             "\u00E9", "\u212B", "\u1100", "\u1161", "\u11A8", "\uAC00", "\u0B47", "\u0B3E", "\u0958",
                             "\u093C", "\u0344", "\U0001D15E", "\U0001D165", "\u1FB7", "\u03B1", "\u0313", " ", "日"];
        var rng = new Random(7);
        for (int i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(0, 24);
            for (int k = 0; k < len; k++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
            byte[] once = Nfc.Normalize(Utf8(sb.ToString()));
            Assert.True(Nfc.IsNormalized(once), sb.ToString());
            Assert.Same(once, Nfc.Normalize(once));

            // NFC(x + invalid + y) == NFC(x) + invalid + NFC(y)
            string y = string.Concat(Enumerable.Range(0, rng.Next(0, 8)).Select(_ => alphabet[rng.Next(alphabet.Length)]));
            byte[] joined = [.. Utf8(sb.ToString()), 0xFF, .. Utf8(y)];
            Assert.Equal([.. once, 0xFF, .. Nfc.Normalize(Utf8(y))], Nfc.Normalize(joined));
        }
    }

    [Fact]
    public void Random_bytes_never_lose_a_byte_and_normalise_once()
    {
        // Random bytes with tricky UTF-8 spliced in: nothing is dropped, and a second pass changes nothing.
        byte[][] pieces = [Utf8("e\u0301"), Utf8("\u212B"), Utf8("\u1100\u1161"), Utf8("\U0001D160"), Utf8("\u0323\u0301"), [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]];
        var rng = new Random(3);
        for (int i = 0; i < 3000; i++)
        {
            var b = new List<byte>();
            for (int k = rng.Next(0, 16); k > 0; k--)
                if (rng.Next(3) == 0) b.AddRange(pieces[rng.Next(pieces.Length)]);
                else b.Add((byte)rng.Next(256));
            byte[] input = [.. b];
            byte[] once = Nfc.Normalize(input);
            Assert.Equal(once, Nfc.Normalize(once));
            // ASCII letters and < = > may compose with a following mark (e + U+0301, = + U+0338); the rest never changes.
            static bool Inert(byte x) => x < 0x80 && !char.IsAsciiLetter((char)x) && x is not ((byte)'<' or (byte)'=' or (byte)'>');
            Assert.Equal(input.Count(Inert), once.Count(Inert));
        }
    }

    [Fact]
    public void The_tables_say_which_unicode_they_are_and_every_index_is_in_range()
    {
        Assert.Matches(@"^\d+\.\d+\.\d+$", NfcTables.UnicodeVersion);
        // Nfc.Props reads the tables without bounds checks.
        Assert.Equal(NfcTables.Limit >> NfcTables.BlockBits, NfcTables.BlockIndex.Length);
        int blocks = NfcTables.Blocks.Length >> NfcTables.BlockBits;
        foreach (ushort b in NfcTables.BlockIndex) Assert.InRange(b, 0, blocks - 1);
        Assert.Equal(NfcTables.DecompKeys.Length, NfcTables.DecompValues.Length);
        Assert.Equal(NfcTables.ComposeKeys.Length, NfcTables.ComposeValues.Length);
    }
}
