using System.Diagnostics;
using System.Text;
using Crayon.Bpe;
using Xunit.Abstractions;

namespace Crayon.Tests.Bpe;

/// <summary>
/// The linear-time backtracking encoder gives exactly the ids of the merge it replaces for long
/// pieces (the heap merge, itself checked against the slow reference in <see cref="MergeTests"/>),
/// on the real vocabularies and on the kinds of text that make long pieces; and the encoding as a
/// whole still gives tiktoken's ids on such text.
/// </summary>
public class BacktrackingTests
{
    private readonly ITestOutputHelper _out;
    public BacktrackingTests(ITestOutputHelper output) => _out = output;

    private static int[] Oracle(BytePairMerger.Ranks ranks, byte[] piece)
    {
        var w = TokenWriter.Growing(piece.Length);
        try
        {
            if (piece.Length == 1) w.Add(ranks.Get(piece));
            else BytePairMerger.MergeWithHeap(ranks, piece, ref w);
            return w.Written.ToArray();
        }
        finally { w.Dispose(); }
    }

    private static int[] Backtrack(BacktrackingEncoder encoder, byte[] piece)
    {
        var w = TokenWriter.Growing(piece.Length);
        try
        {
            encoder.Encode(piece, ref w);
            return w.Written.ToArray();
        }
        finally { w.Dispose(); }
    }

    /// <summary>Kinds of long piece (each as raw bytes; the merge does not care where pieces come from).</summary>
    internal static byte[] Text(string kind, int length, Random rng)
    {
        var bytes = new List<byte>(length + 8);
        string[] mixed = ["the", "ab", "x", "ё", "的", "1", "  ", "aaaa", "é", "zq", "\n", "🙂"];
        string unit = "";
        while (bytes.Count < length)
        {
            if (kind == "periodic")
            {
                // A short unit repeated, changed now and then: the encoder meets the same pair of
                // tokens again and again, then a new one (its memo of the last valid pair).
                if (unit.Length == 0 || rng.Next(40) == 0)
                {
                    unit = "";
                    for (int k = rng.Next(1, 4); k > 0; k--) unit += rng.Next(3) == 0 ? mixed[rng.Next(mixed.Length)] : ((char)('a' + rng.Next(3))).ToString();
                }
                bytes.AddRange(Encoding.UTF8.GetBytes(unit));
                continue;
            }
            string s = kind switch
            {
                "letters" => ((char)('a' + rng.Next(26))).ToString(),
                "repeated" => "a",
                "digits" => ((char)('0' + rng.Next(10))).ToString(),
                "spaces" => " ",
                "cjk" => ((char)rng.Next(0x4E00, 0x9FA6)).ToString(),
                "latin1" => ((char)rng.Next(256)).ToString(),
                "mixed" => mixed[rng.Next(mixed.Length)],
                _ => throw new ArgumentException(kind),
            };
            bytes.AddRange(Encoding.UTF8.GetBytes(s));
        }
        return bytes.GetRange(0, length).ToArray(); // may cut a character: the merge works on any bytes
    }

    public static TheoryData<string> Encodings => new() { "cl100k_base", "o200k_base", "r50k_base", "p50k_base" };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void EqualsTheMergeOnLongPiecesOfEveryKind(string name)
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var enc = Peers.Encoding(name);
        var ranks = enc.MergeRanks;
        var sw = Stopwatch.StartNew();
        BacktrackingEncoder encoder = enc.LongPieces.GetWaiting(ranks) ?? throw new Xunit.Sdk.XunitException($"{name}: no backtracking encoder");
        _out.WriteLine($"{name}: tables ready after {sw.ElapsedMilliseconds} ms (0 when another test built them), {encoder.MemoryBytes / 1e6:F1} MB, {encoder.LeftOut} tokens BPE never produces");
        var rng = new Random(name.Length);
        int[] lengths = [1, 2, 3, 5, 8, 13, 40, 95, 96, 97, 98, 200, 1000, 8191, 8192, 8193, 30_000];
        foreach (string kind in new[] { "letters", "repeated", "periodic", "digits", "spaces", "cjk", "latin1", "mixed" })
            foreach (int n in lengths)
            {
                byte[] piece = Text(kind, n, rng);
                Assert.True(Oracle(ranks, piece).AsSpan().SequenceEqual(Backtrack(encoder, piece)), $"{name} {kind} {n}");
            }
        // Raw random bytes, not UTF-8 at all.
        for (int k = 0; k < 50; k++)
        {
            byte[] piece = new byte[rng.Next(1, 3000)];
            rng.NextBytes(piece);
            Assert.True(Oracle(ranks, piece).AsSpan().SequenceEqual(Backtrack(encoder, piece)), $"{name} random bytes {piece.Length}");
        }
    }

    /// <summary>
    /// Many threads meet long pieces on a fresh encoding at once: one builds the tables while the
    /// others use the merge paths, and every thread gets the same ids.
    /// </summary>
    [Fact]
    public void ThreadsThatMeetTheBuildGetTheSameIds()
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var rng = new Random(11);
        var docs = Enumerable.Range(0, 64).Select(i => Encoding.ASCII.GetString(Text("letters", 500 + 37 * i, rng))).ToArray();
        int[][] expected = docs.Select(d => Peers.Encoding("cl100k_base").EncodeOrdinary(d)).ToArray();
        var (tokens, ranks) = (new List<byte[]>(), new List<int>());
        var reference = Peers.Encoding("cl100k_base");
        for (int r = 0; r < reference.NRanks; r++) { tokens.Add(reference.TokenBytes(r).ToArray()); ranks.Add(r); }
        var fresh = BpeEncoding.FromRanks(tokens, ranks, Crayon.PreTokenize.KnownPatterns.Cl100k, [], []);
        int[][] got = fresh.EncodeBatch(docs.Length, i => Encoding.ASCII.GetBytes(docs[i]), SpecialPolicy.None, threads: 8);
        for (int i = 0; i < docs.Length; i++) Assert.Equal(expected[i], got[i]);
        Assert.NotNull(fresh.LongPieces.GetWaiting(fresh.MergeRanks));
    }

    /// <summary>
    /// Random short strings from the token alphabet: pieces of random tokens glued together, so that
    /// token boundaries, near-tokens and backtracking are all dense.
    /// </summary>
    [Theory]
    [MemberData(nameof(Encodings))]
    public void EqualsTheMergeOnGluedTokenFragments(string name)
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var enc = Peers.Encoding(name);
        var ranks = enc.MergeRanks;
        BacktrackingEncoder encoder = enc.LongPieces.GetWaiting(ranks)!;
        var rng = new Random(7);
        var bytes = new List<byte>();
        for (int doc = 0; doc < 20_000; doc++)
        {
            bytes.Clear();
            int parts = rng.Next(1, 6);
            for (int p = 0; p < parts; p++)
            {
                ReadOnlySpan<byte> token = enc.TokenBytes(rng.Next(enc.NRanks));
                int from = rng.Next(3) == 0 ? rng.Next(token.Length) : 0;
                int to = rng.Next(3) == 0 ? rng.Next(from, token.Length) + 1 : token.Length;
                foreach (byte b in token[from..to]) bytes.Add(b);
            }
            byte[] piece = bytes.ToArray();
            int[] expected = Oracle(ranks, piece);
            if (!expected.AsSpan().SequenceEqual(Backtrack(encoder, piece)))
                Assert.Fail($"{name}: 0x{Convert.ToHexString(piece)}: expected [{string.Join(",", expected)}], got [{string.Join(",", Backtrack(encoder, piece))}]");
        }
    }

    /// <summary>
    /// Long pieces into a caller's output of any size: the encoder builds its answer in the output's
    /// room when there is one id per byte, else in an array it copies out, and both give the same ids
    /// and count (only the ids that fit are written).
    /// </summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void LongPiecesIntoOutputOfAnySizeGiveTheSameIds(string name)
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var enc = Peers.Encoding(name);
        var rng = new Random(11);
        foreach (string kind in new[] { "letters", "cjk", "latin1", "digits", "mixed" })
            foreach (int n in new[] { 97, 300, 5000 })
            {
                // A short word first, so that the long piece starts after ids already written.
                byte[] utf8 = Encoding.UTF8.GetBytes("go " + Encoding.UTF8.GetString(Text(kind, n, rng)).Replace("\uFFFD", ""));
                int[] ids = enc.Encode(utf8, SpecialPolicy.None);
                foreach (int size in new[] { utf8.Length + 1, utf8.Length, utf8.Length - 1, ids.Length, ids.Length - 1, ids.Length / 2, 1, 0 })
                {
                    int[] output = new int[Math.Max(size, 0)];
                    Assert.Equal(ids.Length, enc.EncodeOrdinary(utf8, output));
                    int fits = Math.Min(ids.Length, output.Length);
                    Assert.True(ids.AsSpan(0, fits).SequenceEqual(output.AsSpan(0, fits)), $"{name} {kind} {n} into {size}");
                }
            }
    }

    /// <summary>End to end: long pieces through the whole encoding equal npm tiktoken's ids.</summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void LongPiecesEqualTiktoken(string name)
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var rng = new Random(3);
        var docs = new List<string>();
        foreach (string kind in new[] { "letters", "repeated", "periodic", "digits", "spaces", "cjk", "latin1", "mixed" })
            foreach (int n in new[] { 97, 1000, 20_000 })
                docs.Add(Encoding.UTF8.GetString(Text(kind, n, rng)).Replace("\uFFFD", ""));
        var enc = Peers.Encoding(name);
        var expected = Peers.TiktokenIds(name, docs);
        for (int i = 0; i < docs.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(enc.EncodeOrdinary(docs[i])), $"{name} document {i} ({docs[i].Length} chars)");
    }

    /// <summary>
    /// Trained-like vocabularies against the slow reference: grown ones (every token the merge of two
    /// earlier ones), keeping only the tokens that BPE over the earlier ones leaves in exactly two
    /// parts, which is what training guarantees (the token is the merge of those two).
    /// </summary>
    [Theory]
    [InlineData(1, "ab", 40)]
    [InlineData(2, "abc", 300)]
    [InlineData(3, "aab ", 800)]
    [InlineData(4, "xyzw", 2000)]
    public void EqualsTheReferenceOnTrainedLikeVocabularies(int seed, string alphabet, int merges)
    {
        var (tokens, dict) = MergeTests.ReachableVocabulary(seed, alphabet, merges);
        var enc = BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToList(), Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var ranks = enc.MergeRanks;
        BacktrackingEncoder encoder = enc.LongPieces.GetWaiting(ranks) ?? throw new Xunit.Sdk.XunitException("declined");
        var rng = new Random(seed);
        byte[] abc = Encoding.UTF8.GetBytes(alphabet);
        for (int doc = 0; doc < 300; doc++)
        {
            byte[] piece = new byte[rng.Next(1, 300)];
            for (int k = 0; k < piece.Length; k++) piece[k] = rng.Next(20) == 0 ? (byte)rng.Next(256) : abc[rng.Next(abc.Length)];
            Assert.Equal(MergeTests.ReferenceMerge(dict, piece), Backtrack(encoder, piece));
        }
    }

    /// <summary>
    /// Ranks in shuffled order break the design's premise (a token may rank before its parts): the
    /// builder must notice and decline, so the merge paths, which simulate BPE, stay in charge, and
    /// the encoding's ids still follow the reference.
    /// </summary>
    [Fact]
    public void DeclinesVocabulariesWhoseTokensRankBeforeTheirParts()
    {
        // "xyz" (256) is made from "xy" (257): BPE merges x+y at 257, then xy+z at 256.
        var tokens = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        tokens.Add("xyz"u8.ToArray());
        tokens.Add("xy"u8.ToArray());
        var enc = BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToList(), Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var ranks = enc.MergeRanks;
        Assert.Null(enc.LongPieces.GetWaiting(ranks));
        Assert.Equal(Enumerable.Repeat(256, 100).ToArray(), enc.EncodeOrdinary(string.Concat(Enumerable.Repeat("xyz", 100))));
    }

    /// <summary>
    /// Shuffled ranks: whatever the builder decides (decline, or leave out the tokens BPE never
    /// produces), the encoding's ids follow the slow reference.
    /// </summary>
    [Fact]
    public void ShuffledRanksFollowTheReference()
    {
        var (tokens, _) = MergeTests.GrowVocabulary(9, "abc", 600);
        var rng = new Random(9);
        var ranks = Enumerable.Range(0, tokens.Count).OrderBy(_ => rng.Next()).ToList();
        var enc = BpeEncoding.FromRanks(tokens, ranks, Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var dict = tokens.Select((t, i) => (t, i)).ToDictionary(x => Convert.ToHexString(x.t), x => ranks[x.i]);
        for (int doc = 0; doc < 100; doc++)
        {
            byte[] piece = Enumerable.Range(0, rng.Next(97, 600)).Select(_ => (byte)"abc"[rng.Next(3)]).ToArray();
            Assert.Equal(MergeTests.ReferenceMerge(dict, piece), enc.EncodeOrdinary(Encoding.ASCII.GetString(piece)));
        }
    }

    /// <summary>A token that BPE never produces (no "ab" or "bc" to build "abc" from) is never proposed.</summary>
    [Fact]
    public void LeavesOutTokensThatBpeNeverProduces()
    {
        var tokens = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList();
        tokens.Add("abc"u8.ToArray());
        var enc = BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToList(), Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var ranks = enc.MergeRanks;
        BacktrackingEncoder encoder = enc.LongPieces.GetWaiting(ranks)!;
        Assert.Equal(1, encoder.LeftOut);
        string text = string.Concat(Enumerable.Repeat("abc", 100));
        Assert.Equal(Encoding.ASCII.GetBytes(text).Select(b => (int)b).ToArray(), enc.EncodeOrdinary(text));
    }

    /// <summary>A vocabulary missing a byte cannot encode every piece: no encoder, and the usual error.</summary>
    [Fact]
    public void DeclinesVocabulariesWithoutEveryByte()
    {
        var enc = BpeEncoding.FromTiktokenData("YQ== 0\nYg== 1\nYWI= 2\n"u8, Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var ranks = enc.MergeRanks;
        Assert.Null(enc.LongPieces.GetWaiting(ranks));
        Assert.Equal(Enumerable.Repeat(2, 100).ToArray(), enc.EncodeOrdinary(string.Concat(Enumerable.Repeat("ab", 100))));
    }
}
