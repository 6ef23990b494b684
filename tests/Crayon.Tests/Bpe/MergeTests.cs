using System.Text;
using Crayon.Bpe;

namespace Crayon.Tests.Bpe;

/// <summary>
/// The rank-ordered merge (both the short-piece and the heap path) against a slow, obviously
/// correct reference: repeatedly merge the leftmost adjacent pair whose concatenation has the
/// lowest rank.
/// </summary>
public class MergeTests
{
    /// <summary>A vocabulary grown like BPE training does: every token is the concatenation of two earlier ones.</summary>
    internal static (List<byte[]> tokens, List<int> ranks) GrowVocabulary(int seed, string alphabet, int merges)
    {
        var rng = new Random(seed);
        var tokens = new List<byte[]>();
        var seen = new HashSet<string>();
        for (int b = 0; b < 256; b++) { tokens.Add([(byte)b]); seen.Add(Convert.ToHexString(new[] { (byte)b })); }
        byte[] abc = Encoding.UTF8.GetBytes(alphabet);
        var pool = abc.Select(b => new[] { b }).ToList();
        while (tokens.Count < 256 + merges)
        {
            byte[] left = pool[rng.Next(pool.Count)], right = pool[rng.Next(pool.Count)];
            byte[] joined = [.. left, .. right];
            if (joined.Length > 24 || !seen.Add(Convert.ToHexString(joined))) continue;
            tokens.Add(joined);
            pool.Add(joined);
        }
        return (tokens, Enumerable.Range(0, tokens.Count).ToList());
    }

    /// <summary>A grown vocabulary cut to the tokens BPE can produce (each merges from exactly two
    /// tokens kept before it), with ranks 0..n-1 and the rank of each token's hex bytes.</summary>
    internal static (List<byte[]> tokens, Dictionary<string, int> ranks) ReachableVocabulary(int seed, string alphabet, int merges)
    {
        var (grown, _) = GrowVocabulary(seed, alphabet, merges);
        var ranks = new Dictionary<string, int>();
        var tokens = new List<byte[]>();
        foreach (byte[] t in grown)
            if (t.Length == 1 || ReferenceMerge(ranks, t).Length == 2)
            {
                ranks[Convert.ToHexString(t)] = tokens.Count;
                tokens.Add(t);
            }
        return (tokens, ranks);
    }

    internal static int[] ReferenceMerge(Dictionary<string, int> ranks, byte[] piece)
    {
        var parts = piece.Select(b => new[] { b }).ToList();
        while (true)
        {
            int best = int.MaxValue, at = -1;
            for (int i = 0; i + 1 < parts.Count; i++)
                if (ranks.TryGetValue(Convert.ToHexString([.. parts[i], .. parts[i + 1]]), out int r) && r < best)
                {
                    best = r;
                    at = i;
                }
            if (at < 0) break;
            parts[at] = [.. parts[at], .. parts[at + 1]];
            parts.RemoveAt(at + 1);
        }
        return parts.Select(p => ranks[Convert.ToHexString(p)]).ToArray();
    }

    private static int[] Run(bool heap, RankTable table, byte[] piece) => Run(heap ? "heap" : "linear", table, piece);

    private static int[] Run(string path, RankTable table, byte[] piece)
    {
        var w = TokenWriter.Growing(16);
        try
        {
            var ranks = new BytePairMerger.Ranks(table, RankCache.For(table));
            switch (path)
            {
                case "heap": BytePairMerger.MergeWithHeap(ranks, piece, ref w); break;
                case "buckets": BytePairMerger.MergeWithBuckets(ranks, piece, ref w); break;
                case "auto": BytePairMerger.Merge(ranks, piece, ref w); break;
                default: BytePairMerger.MergeLinear(ranks, piece, ref w); break;
            }
            return w.Written.ToArray();
        }
        finally { w.Dispose(); }
    }

    private static RankTable Table(List<byte[]> tokens, List<int> ranks)
    {
        byte[] arena = tokens.SelectMany(t => t).ToArray();
        int[] offsets = new int[tokens.Count];
        for (int i = 1; i < tokens.Count; i++) offsets[i] = offsets[i - 1] + tokens[i - 1].Length;
        return new RankTable(arena, offsets, tokens.Select(t => t.Length).ToArray(), ranks.ToArray());
    }

    [Theory]
    [InlineData(1, "ab", 40)]
    [InlineData(2, "abc", 300)]
    [InlineData(3, "aab ", 800)]
    [InlineData(4, "xyzw", 2000)]
    public void BothPathsEqualTheReference(int seed, string alphabet, int merges)
    {
        var (tokens, ranks) = GrowVocabulary(seed, alphabet, merges);
        var table = Table(tokens, ranks);
        var dict = tokens.Select((t, i) => (t, i)).ToDictionary(x => Convert.ToHexString(x.t), x => ranks[x.i]);
        var rng = new Random(seed * 7919);
        byte[] abc = Encoding.UTF8.GetBytes(alphabet);
        for (int doc = 0; doc < 300; doc++)
        {
            int len = doc < 250 ? rng.Next(2, 60) : rng.Next(100, 700);
            byte[] piece = new byte[len];
            for (int k = 0; k < len; k++) piece[k] = rng.Next(20) == 0 ? (byte)rng.Next(256) : abc[rng.Next(abc.Length)];
            int[] expected = ReferenceMerge(dict, piece);
            Assert.Equal(expected, Run(heap: false, table, piece));
            Assert.Equal(expected, Run(heap: true, table, piece));
            Assert.Equal(expected, Run("buckets", table, piece));
        }
    }

    [Fact]
    public void RepeatedLetterMegabyteIsFastAndExact()
    {
        var (tokens, ranks) = GrowVocabulary(5, "a", 1);
        // a, aa, aaaa, ... : merges of equal rank everywhere, the leftmost first
        tokens = [.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })];
        for (int len = 2; len <= 64; len *= 2) tokens.Add(Enumerable.Repeat((byte)'a', len).ToArray());
        ranks = Enumerable.Range(0, tokens.Count).ToList();
        var table = Table(tokens, ranks);
        byte[] piece = Enumerable.Repeat((byte)'a', 1 << 20).ToArray();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int[] ids = Run("auto", table, piece);
        sw.Stop();
        Assert.Equal((1 << 20) / 64, ids.Length);
        Assert.All(ids, id => Assert.Equal(tokens.Count - 1, id));
        // 1 MB in one piece: quadratic would take minutes; allow a slow, shared machine plenty.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        var dict = tokens.Select((t, i) => (t, i)).ToDictionary(x => Convert.ToHexString(x.t), x => x.i);
        byte[] odd = Enumerable.Repeat((byte)'a', 1000 + 37).ToArray();
        Assert.Equal(ReferenceMerge(dict, odd), Run(heap: true, table, odd));
        Assert.Equal(ReferenceMerge(dict, odd), Run("buckets", table, odd));
        Assert.Equal(Run(heap: true, table, piece), ids);
    }

    /// <summary>
    /// A vocabulary where a merge creates a pair of lower rank than the one being swept (the
    /// bucket path's fallback): ranks are assigned in shuffled order, not in creation order.
    /// </summary>
    [Fact]
    public void ShuffledRanksStillFollowTheReference()
    {
        var (tokens, _) = GrowVocabulary(9, "abc", 600);
        var rng = new Random(9);
        var ranks = Enumerable.Range(0, tokens.Count).OrderBy(_ => rng.Next()).ToList();
        var table = Table(tokens, ranks);
        var dict = tokens.Select((t, i) => (t, i)).ToDictionary(x => Convert.ToHexString(x.t), x => ranks[x.i]);
        for (int doc = 0; doc < 60; doc++)
        {
            byte[] piece = new byte[rng.Next(2, 400)];
            for (int k = 0; k < piece.Length; k++) piece[k] = (byte)"abc"[rng.Next(3)];
            int[] expected = ReferenceMerge(dict, piece);
            Assert.Equal(expected, Run(heap: false, table, piece));
            Assert.Equal(expected, Run(heap: true, table, piece));
            Assert.Equal(expected, Run("buckets", table, piece));
        }
    }

    [Fact]
    public void EncodingUsesWholePieceThenMerge()
    {
        var (tokens, ranks) = GrowVocabulary(6, "ab ", 500);
        var enc = BpeEncoding.FromRanks(tokens, ranks, Crayon.PreTokenize.KnownPatterns.Gpt2, [], []);
        var dict = tokens.Select((t, i) => (t, i)).ToDictionary(x => Convert.ToHexString(x.t), x => ranks[x.i]);
        var rng = new Random(6);
        for (int doc = 0; doc < 200; doc++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(0, 200);
            for (int k = 0; k < len; k++) sb.Append("ab  b"[rng.Next(5)]);
            string text = sb.ToString();
            var expected = new List<int>();
            foreach (string piece in enc.PreTokenizer.SplitToStrings(text))
            {
                byte[] bytes = Encoding.UTF8.GetBytes(piece);
                expected.AddRange(dict.TryGetValue(Convert.ToHexString(bytes), out int whole) ? [whole] : ReferenceMerge(dict, bytes));
            }
            Assert.Equal(expected.ToArray(), enc.EncodeOrdinary(text));
            Assert.Equal(Encoding.UTF8.GetBytes(text), enc.DecodeBytes(enc.EncodeOrdinary(text)));
        }
    }

    /// <summary>
    /// A byte without a token of its own is fine inside a part that merges, and an error naming it
    /// when it is left alone, on every path (the linear one keeps each part's rank as it merges).
    /// </summary>
    [Fact]
    public void AByteWithoutATokenIsAnErrorOnlyWhenItStaysAlone()
    {
        var tokens = Enumerable.Range(0, 256).Where(b => b != 'c').Select(b => new[] { (byte)b }).ToList();
        tokens.Add("xc"u8.ToArray());
        var ranks = Enumerable.Range(0, tokens.Count).ToList();
        var table = Table(tokens, ranks);
        foreach (string path in new[] { "linear", "heap", "buckets" })
        {
            Assert.Equal([tokens.Count - 1, 'y' - 1], Run(path, table, "xcy"u8.ToArray()));   // 'c' has no rank: 'y' has one less
            var e = Assert.Throws<InvalidDataException>(() => Run(path, table, "xcc"u8.ToArray()));
            Assert.Contains("\"c\"", e.Message);
        }
    }
}
