using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Tests.Bpe;

/// <summary>Rank-file parsing, construction errors, special tokens, decoding and bad input.</summary>
public class EncodingTests
{
    private static BpeEncoding Small(params (string name, int id)[] specials)
    {
        var (tokens, ranks) = MergeTests.GrowVocabulary(11, "abc <|>", 300);
        return BpeEncoding.FromRanks(tokens, ranks, KnownPatterns.Cl100k,
            specials.Select(s => s.name).ToList(), specials.Select(s => s.id).ToList());
    }

    private static byte[] File(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void RankFileRoundTrips()
    {
        var enc = BpeEncoding.FromTiktokenData(File("YQ== 0\r\nYg== 1\n\nYWI= 2\n"), KnownPatterns.Gpt2, [], []);
        Assert.Equal(3, enc.NVocab);
        Assert.Equal([2], enc.EncodeOrdinary("ab"));
        Assert.Equal("ab", Encoding.UTF8.GetString(enc.TokenBytes(2)));
        Assert.True(enc.TryEncodeSingleToken("b"u8, out int id));
        Assert.Equal(1, id);
    }

    [Theory]
    [InlineData("YQ== 0\n!!!! 1\n", "line 2", "base64")]
    [InlineData("YQ== 0\nYg== x\n", "line 2", "rank")]
    [InlineData("YQ== 0\nYg==\n", "line 2", "expected")]
    [InlineData("YQ== 0\nYg== 0\n", "rank 0", "two tokens")]
    [InlineData("YQ== 0\nYQ== 1\n", "\"a\"", "twice")]
    [InlineData("", "no ranks", "")]
    public void BadRankFilesAreClearErrors(string data, string mention1, string mention2)
    {
        var e = Assert.Throws<InvalidDataException>(() => BpeEncoding.FromTiktokenData(File(data), KnownPatterns.Gpt2, [], []));
        Assert.Contains(mention1, e.Message);
        Assert.Contains(mention2, e.Message);
    }

    [Fact]
    public void SpecialIdCollidingWithARankIsRejected()
    {
        var e = Assert.Throws<InvalidDataException>(() => Small(("<|x|>", 5)));
        Assert.Contains("also an ordinary rank", e.Message);
        Assert.Throws<InvalidDataException>(() => Small(("<|x|>", 900), ("<|x|>", 901)));
    }

    [Fact]
    public void SpecialTokensFollowTiktokensPolicy()
    {
        var enc = Small(("<|end|>", 1000), ("<|pad|>", 1001));
        byte[] text = Encoding.UTF8.GetBytes("ab<|end|>c <|pad|>");
        int[] ordinary = enc.EncodeOrdinary("ab<|end|>c <|pad|>");
        Assert.DoesNotContain(1000, ordinary);
        Assert.Equal(ordinary, enc.Encode(text, SpecialPolicy.None));

        int[] all = enc.Encode(text, enc.Policy(null, null, allowAll: true, disallowAll: false));
        Assert.Equal([.. enc.EncodeOrdinary("ab"), 1000, .. enc.EncodeOrdinary("c "), 1001], all);

        int[] onlyEnd = enc.Encode(text, enc.Policy(["<|end|>", "not-a-special"], null, false, disallowAll: false));
        Assert.Equal([.. enc.EncodeOrdinary("ab"), 1000, .. enc.EncodeOrdinary("c <|pad|>")], onlyEnd);

        var e = Assert.Throws<DisallowedSpecialException>(() => enc.Encode(text, enc.Policy(["<|end|>"], null, false, disallowAll: true)));
        Assert.Equal("<|pad|>", e.Token);
        Assert.Equal(11, e.Offset);
        Assert.Contains("allow", e.Message);
        Assert.Throws<DisallowedSpecialException>(() => enc.Encode(text, enc.Policy(null, ["<|end|>"], false, false)));
        Assert.Throws<ArgumentException>(() => enc.Policy(null, ["nope"], false, false));

        Assert.True(enc.TryEncodeSingleToken("<|pad|>"u8, out int id));
        Assert.Equal(1001, id);
        Assert.Equal("<|pad|>", Encoding.UTF8.GetString(enc.TokenBytes(1001)));
        Assert.Equal(text, enc.DecodeBytes(all));
    }

    [Fact]
    public void DecodeReportsUnknownIdsAndNeededCapacity()
    {
        var enc = Small(("<|end|>", 1000));
        var e = Assert.Throws<UnknownTokenIdException>(() => enc.Decode([1, 999, 2], Span<byte>.Empty)); // 999: gap
        Assert.Equal(999, e.Id);
        Assert.Equal(1, e.Position);
        Assert.Throws<UnknownTokenIdException>(() => enc.Decode([-1], Span<byte>.Empty));
        Assert.Throws<UnknownTokenIdException>(() => enc.TokenBytes(enc.NVocab));
        int[] ids = enc.EncodeOrdinary("abc abc");
        Span<byte> small = stackalloc byte[2];
        Assert.Equal(7, enc.Decode(ids, small));
        Assert.False(enc.TryEncodeSingleToken("zzzzzzzz"u8, out _));
    }

    [Fact]
    public void SmallOutputSpanReportsTheFullCount()
    {
        var enc = Small();
        byte[] text = Encoding.UTF8.GetBytes("abc cab bca acb");
        int n = enc.EncodeOrdinary(text, Span<int>.Empty);
        int[] full = new int[n];
        Assert.Equal(n, enc.EncodeOrdinary(text, full));
        Assert.Equal(enc.EncodeOrdinary("abc cab bca acb"), full);
    }

    [Fact]
    public void InvalidUtf8AndBatchErrorsNameTheDocument()
    {
        var enc = Small();
        Assert.Throws<InvalidUtf8Exception>(() => enc.EncodeOrdinary(new byte[] { 0x61, 0xC3 }, new int[8]));
        byte[][] docs = [Encoding.UTF8.GetBytes("abc"), [0xFF], Encoding.UTF8.GetBytes("cab")];
        var e = Assert.Throws<InvalidUtf8Exception>(() => enc.EncodeBatch(3, i => docs[i], SpecialPolicy.None, 2));
        Assert.Contains("document 1", e.Message);
        docs[1] = Encoding.UTF8.GetBytes("b a");
        int[][] ids = enc.EncodeBatch(3, i => docs[i], SpecialPolicy.None, 0);
        for (int i = 0; i < 3; i++) Assert.Equal(enc.EncodeOrdinary(Encoding.UTF8.GetString(docs[i])), ids[i]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public unsafe void FlatBatchEqualsOneCallPerDocumentAtEveryCapacity(int threads)
    {
        var enc = Small(("<|x|>", 1000));
        var policy = enc.Policy(["<|x|>"], null, allowAll: false, disallowAll: false);
        var rnd = new Random(threads);
        // Many documents of uneven sizes (empty ones too), so chunks split unevenly between the threads.
        byte[][] docs = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes(
            new string(Enumerable.Range(0, rnd.Next(0, i % 7 == 0 ? 2000 : 60)).Select(_ => "abc <|>x"[rnd.Next(8)]).ToArray())
            + (i % 5 == 0 ? "<|x|>ab" : ""))).ToArray();
        int[][] expected = docs.Select(d => enc.Encode(d, policy)).ToArray();
        long total = expected.Sum(e => (long)e.Length), bytes = docs.Sum(d => (long)d.Length);
        var offsets = new long[docs.Length + 1];
        foreach (long cap in new[] { bytes, total, total - 1, 0 })   // the bound, exact, one short, a size query
        {
            var output = new int[Math.Max(1, cap)];
            Array.Fill(offsets, -7);
            long r;
            fixed (int* o = output)
            fixed (long* off = offsets)
                r = enc.EncodeBatch(docs.Length, i => docs[i], policy, cap == 0 ? null : o, cap, off, threads);
            Assert.Equal(cap >= total ? total : -total, r);
            for (int i = 0; i < docs.Length; i++)
            {
                Assert.Equal(expected[i].Length, offsets[i + 1] - offsets[i]);
                if (r > 0) Assert.Equal(expected[i], output.AsSpan((int)offsets[i], expected[i].Length).ToArray());
            }
        }
        int[][] arrays = enc.EncodeBatch(docs.Length, i => docs[i], policy, threads);
        for (int i = 0; i < docs.Length; i++) Assert.Equal(expected[i], arrays[i]);
    }
}
