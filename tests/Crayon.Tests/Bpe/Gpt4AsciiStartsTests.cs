using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Tests.Bpe;

/// <summary>
/// <see cref="Gpt4AsciiStarts"/> against <see cref="Gpt4Splitter"/> and <see cref="O200kSplitter"/>: the piece starts it marks below
/// the position it returns must be exactly the splitter's, on random text over every ASCII byte (in
/// runs long enough to cross 64-byte words), next to non-ASCII text, for windows that start anywhere a
/// piece starts, with vectors of every width and without. And the encoder gives the same ids with the masks as
/// without them.
/// </summary>
[Collection("Gpt4AsciiStarts")]   // the tests switch Gpt4AsciiStarts.VectorBits and BpeEncoding.UseAsciiMasks
public class Gpt4AsciiStartsTests
{
    private static readonly string[] Alphabets =
    [
        "ab  \t\n\r'sdmtlLVEr.",
        "0123456789 a\n",
        "    \n\r\t\v\f a.'s",
        "abc'''slldveRE ,.;\n",
        string.Concat(Enumerable.Range(0, 128).Select(c => (char)c)),
        " \n\n\n...aaa'''111",
        "a./\n\r /xY:",   // o200k's [\r\n/]* after symbols
    ];

    private static string RandomText(Random rnd, string alphabet, int length, string? extra = null)
    {
        var sb = new StringBuilder(length + 80);
        while (sb.Length < length)
        {
            if (extra != null && rnd.Next(12) == 0) sb.Append(extra[rnd.Next(extra.Length)]);
            char c = alphabet[rnd.Next(alphabet.Length)];
            int run = new[] { 1, 1, 1, 2, 3, 4, 7, 40, 70 }[rnd.Next(9)];
            sb.Append(c, run);
        }
        return sb.ToString();
    }

    private static GptPattern Pattern(string which) => which == "o200k" ? GptPattern.O200k : GptPattern.Gpt4;

    /// <summary>The exact splitter of the pattern, as "the end of the piece at pos".</summary>
    private static Func<byte[], int, int> Splitter(GptPattern pattern, int maxDigits)
    {
        if (pattern == GptPattern.Gpt4)
        {
            var g4 = new Gpt4Splitter(KnownPatterns.Cl100k, maxDigits);
            return (text, pos) => g4.PieceEnd(text, pos);
        }
        var o2 = new O200kSplitter(KnownPatterns.O200k, maxDigits);
        return (text, pos) => o2.PieceEnd(text, pos);
    }

    private static List<int> SplitterStarts(Func<byte[], int, int> pieceEnd, byte[] text)
    {
        var starts = new List<int>();
        for (int pos = 0; pos < text.Length; pos = pieceEnd(text, pos)) starts.Add(pos);
        return starts;
    }

    /// <summary>Marks text[pos..end) and checks every mark below the returned position.</summary>
    private static void CheckWindow(byte[] text, HashSet<int> truth, int pos, int end, int maxDigits, GptPattern pattern)
    {
        Span<ulong> marks = stackalloc ulong[Gpt4AsciiStarts.MaxBytes / 64];
        int exact = Gpt4AsciiStarts.Mark(text, pos, end, maxDigits, pattern, marks);
        Assert.InRange(exact, pos, end);
        if (end == text.Length) Assert.Equal(end, exact);
        Assert.True(exact == text.Length || truth.Contains(exact), $"returned {exact}, not a piece start (window {pos}..{end}), around it {Show(text, exact)}, end {Show(text, end)}");
        for (int i = pos; i < exact; i++)
        {
            bool marked = ((marks[(i - pos) >> 6] >> ((i - pos) & 63)) & 1) != 0;
            Assert.True(marked == truth.Contains(i), $"byte {i} (window {pos}..{end}): marked {marked}, splitter {truth.Contains(i)}, " +
                $"around it {Show(text, i)}");
        }
    }

    /// <summary>The bytes around i, escaped, with | before i.</summary>
    private static string Show(byte[] text, int i)
    {
        var sb = new StringBuilder("\"");
        for (int j = Math.Max(0, i - 12); j < Math.Min(text.Length, i + 8); j++)
        {
            if (j == i) sb.Append('|');
            byte b = text[j];
            sb.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }
        return sb.Append('"').ToString();
    }

    [Theory]
    [InlineData("gpt4", 512, 3)]
    [InlineData("gpt4", 256, 3)]
    [InlineData("gpt4", 128, 3)]
    [InlineData("gpt4", 0, 3)]
    [InlineData("gpt4", 512, 2)]
    [InlineData("gpt4", 128, 1)]
    [InlineData("o200k", 512, 3)]
    [InlineData("o200k", 256, 3)]
    [InlineData("o200k", 128, 3)]
    [InlineData("o200k", 0, 3)]
    public void MarksAreTheSplittersStartsOnAsciiText(string which, int vectorBits, int maxDigits)
    {
        GptPattern pattern = Pattern(which);
        int saved = Gpt4AsciiStarts.VectorBits;
        Gpt4AsciiStarts.VectorBits = vectorBits;
        try
        {
            var splitter = Splitter(pattern, maxDigits);
            var rnd = new Random(7 + maxDigits);
            foreach (string alphabet in Alphabets)
            for (int round = 0; round < 8; round++)
            {
                byte[] text = Encoding.ASCII.GetBytes(RandomText(rnd, alphabet, 3000 + rnd.Next(2000)));
                List<int> starts = SplitterStarts(splitter, text);
                var truth = starts.ToHashSet();
                for (int t = 0; t < 40; t++)
                {
                    int pos = starts[rnd.Next(starts.Count)];
                    int end = rnd.Next(3) == 0 ? text.Length : pos + 1 + rnd.Next(Gpt4AsciiStarts.MaxBytes);
                    CheckWindow(text, truth, pos, Math.Min(end, Math.Min(text.Length, pos + Gpt4AsciiStarts.MaxBytes)), maxDigits, pattern);
                }
            }
        }
        finally { Gpt4AsciiStarts.VectorBits = saved; }
    }

    [Theory]
    [InlineData("gpt4")]
    [InlineData("o200k")]
    public void MarksAreTheSplittersStartsNextToNonAsciiText(string which)
    {
        GptPattern pattern = Pattern(which);
        // Letters, digits, White_Space (U+0085, U+00A0, U+3000), symbols and U+017F (which (?i)'s matches).
        const string extra = "é中\u0085\u00a0\u3000€ſ٣𝕏";
        var splitter = Splitter(pattern, 3);
        var rnd = new Random(11);
        foreach (string alphabet in Alphabets)
        for (int round = 0; round < 8; round++)
        {
            byte[] text = Encoding.UTF8.GetBytes(RandomText(rnd, alphabet.Replace("\0", ""), 4000, extra));
            List<int> starts = SplitterStarts(splitter, text);
            var truth = starts.ToHashSet();
            foreach (int pos in starts)
            {
                if (text[pos] >= 0x80 || (pos > 0 && text[pos - 1] >= 0x80) || rnd.Next(4) != 0) continue;
                int end = pos;
                while (end < text.Length && end - pos < Gpt4AsciiStarts.MaxBytes && text[end] < 0x80) end++;
                CheckWindow(text, truth, pos, end, 3, pattern);
            }
        }
    }

    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void EncodingWithMasksGivesTheSameIds(string name)
    {
        if (!Peers.Available) { Console.WriteLine("skipped: make peers has not run"); return; }
        BpeEncoding enc = Peers.Encoding(name);
        var rnd = new Random(3);
        var texts = new List<string>();
        foreach (string alphabet in Alphabets) texts.Add(RandomText(rnd, alphabet.Replace("\0", ""), 20000, "é中\u00a0ſ"));
        texts.AddRange(Peers.Corpus("code", 200_000));
        texts.AddRange(Peers.Corpus("english", 200_000));
        texts.AddRange(Peers.Corpus("multilingual", 300_000));
        bool saved = BpeEncoding.UseAsciiMasks;
        try
        {
            foreach (string text in texts)
            {
                BpeEncoding.UseAsciiMasks = true;
                int[] masked = enc.EncodeOrdinary(text);
                BpeEncoding.UseAsciiMasks = false;
                int[] plain = enc.EncodeOrdinary(text);
                Assert.Equal(plain, masked);
            }
        }
        finally { BpeEncoding.UseAsciiMasks = saved; }
    }

    /// <summary>
    /// The marked pieces are written in place when the output has room for one id per byte, and
    /// through the counting writer when it has not; every size of output gives the same ids, and the
    /// same count.
    /// </summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void EncodingIntoOutputOfAnySizeGivesTheSameIds(string name)
    {
        if (!Peers.Available) { Console.WriteLine("skipped: make peers has not run"); return; }
        BpeEncoding enc = Peers.Encoding(name);
        var rnd = new Random(5);
        var texts = new List<string>();
        foreach (string alphabet in Alphabets) texts.Add(RandomText(rnd, alphabet, 3000, "é中"));
        texts.AddRange(Peers.Corpus("english", 20_000));
        texts.AddRange(Peers.Corpus("code", 20_000));
        texts.Add("a\0b\0\0 the\0 end\0");
        foreach (string text in texts)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(text);
            int[] ids = enc.Encode(utf8, SpecialPolicy.None);
            // Twice each: the second time the rank cache answers what the first time entered.
            foreach (int size in new[] { utf8.Length + 1, utf8.Length, ids.Length, ids.Length - 1, ids.Length / 2, 0, utf8.Length })
            {
                int[] output = new int[Math.Max(size, 0)];
                Assert.Equal(ids.Length, enc.EncodeOrdinary(utf8, output));
                Assert.Equal(ids.AsSpan(0, Math.Min(ids.Length, output.Length)).ToArray(), output.AsSpan(0, Math.Min(ids.Length, output.Length)).ToArray());
            }
        }
    }
}
