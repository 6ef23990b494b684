using System.Text;
using Crayon.Dat;
using Crayon.Tokenization;
using Crayon.Trie;

namespace Crayon.Tests.Engine;

/// <summary>The double-array walk agrees with a naive longest match over a hash set of tokens.</summary>
public class TrieTests
{
    /// <summary>Reference: at each position the longest vocabulary entry wins; else the byte token.</summary>
    private static List<int> NaiveLongestMatch(Dictionary<string, int> ids, byte[] text, int maxLen)
    {
        var result = new List<int>();
        int i = 0;
        while (i < text.Length)
        {
            int bestLen = 1, bestId = DatLayout.ByteIdBase + text[i];
            for (int len = Math.Min(maxLen, text.Length - i); len >= 2; len--)
            {
                if (ids.TryGetValue(Encoding.Latin1.GetString(text, i, len), out int id)) { bestLen = len; bestId = id; break; }
            }
            result.Add(bestId);
            i += bestLen;
        }
        return result;
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 500)]
    [InlineData(3, 3000)]
    public void Walk_matches_naive_longest_match_on_random_vocabularies(int seed, int vocabSize)
    {
        var rng = new Random(seed);
        var tokens = EngineFixtures.RandomVocabulary(rng, vocabSize);
        var ids = new Dictionary<string, int>();
        foreach (var t in tokens)
        {
            string k = Encoding.Latin1.GetString(t);
            if (!ids.ContainsKey(k)) ids[k] = DatLayout.FirstLearnedId + ids.Count;
        }
        using var tok = new Tokenizer(EngineFixtures.Load(tokens));
        for (int round = 0; round < 50; round++)
        {
            var text = new byte[rng.Next(0, 400)];
            for (int i = 0; i < text.Length; i++) text[i] = (byte)"abcde xy\u00ff"[rng.Next(9)];
            Assert.Equal(NaiveLongestMatch(ids, text, 8), tok.Tokenize(text));
        }
    }

    /// <summary>
    /// Unique bases, with and without retiring free cells that keep failing as first children (the
    /// backtracking encoder's trie retires after 16; 1 retires at once, the hardest case): every key
    /// is found by walking base + byte with the parent check, and no two nodes with children share a
    /// base, which is what lets a walk check a cell's label instead of its parent.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    public void Unique_bases_hold_with_retired_free_cells(int retireAfter)
    {
        var rng = new Random(11);
        var keys = new List<(byte[] Key, int Value)>();
        var seen = new HashSet<string>();
        foreach (byte[] t in EngineFixtures.RandomVocabulary(rng, 3000, "abcdefghijklmnopqrstuvwxyz0123456789 .,;"))
            if (t.Length >= 2 && seen.Add(Convert.ToHexString(t))) keys.Add((t, 1000 + keys.Count));
        TrieNode[] nodes = DoubleArrayBuilder.BuildUnique(keys, c => c, withTails: false, retireAfter).Nodes;
        if (retireAfter == 1)   // the retiring path ran: the placement is not first fit's
            Assert.NotEqual(DoubleArrayBuilder.BuildUnique(keys, c => c, withTails: false).Nodes.Length, nodes.Length);

        var bases = new HashSet<int>();
        for (int i = 0; i < nodes.Length; i++)
        {
            if (i != 0 && nodes[i].Check == TrieNode.Free) continue;
            if (nodes[i].Base != 0) Assert.True(bases.Add(nodes[i].Base), $"base {nodes[i].Base} shared");
            Assert.InRange(nodes[i].Base, 0, nodes.Length - 256);
        }
        foreach (var (key, value) in keys)
        {
            int node = 0;
            foreach (byte b in key)
            {
                int child = nodes[node].Base + b;
                Assert.Equal(node, nodes[child].Check);
                node = child;
            }
            Assert.Equal(value, nodes[node].Value);
        }
    }

    [Fact]
    public void Every_byte_alone_is_its_fallback_token()
    {
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()));
        for (int b = 0; b < 256; b++)
            Assert.Equal([DatLayout.ByteIdBase + b], tok.Tokenize([(byte)b]));
    }

    [Fact]
    public void Learned_ids_follow_list_order_and_appending_keeps_them()
    {
        var first = EngineFixtures.Words("hello", "world", "hello"); // the repeat is ignored
        var longer = EngineFixtures.Words("hello", "world", "wide");
        using var a = new Tokenizer(EngineFixtures.Load(first));
        using var b = new Tokenizer(EngineFixtures.Load(longer));
        byte[] text = "helloworld"u8.ToArray();
        Assert.Equal([260, 261], a.Tokenize(text));
        Assert.Equal(a.Tokenize(text), b.Tokenize(text));
        Assert.Equal(262, a.VocabSize);
        Assert.Equal(263, b.VocabSize);
    }

    [Fact]
    public void Bounded_output_reports_the_full_count_and_writes_a_prefix()
    {
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()));
        byte[] text = Encoding.UTF8.GetBytes(EngineFixtures.Sample);
        int[] all = tok.Tokenize(text);
        var small = new int[5];
        Assert.Equal(all.Length, tok.Tokenize(text, small));
        Assert.Equal(all[..5], small);
        Assert.Equal(all.Length, tok.Tokenize(text, Span<int>.Empty));
    }
}
