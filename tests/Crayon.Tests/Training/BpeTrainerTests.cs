using System.Text;
using Crayon.PreTokenize;
using Crayon.Training;

namespace Crayon.Tests.Training;

public class BpeTrainerTests
{
    // A pattern that keeps each document whole (one chunk), so the cases below control chunks exactly.
    private const string Whole = @"[\s\S]+";

    private static int[] Train(int vocabSize, string pattern, params string[] docs)
    {
        var t = new BpeTrainer(pattern);
        t.Feed(ArrayDocuments.FromStrings(docs), threads: 1);
        return t.Train(vocabSize).Merges.ToArray();
    }

    [Fact]
    public void Overlapping_occurrences_merge_left_to_right_without_overlap()
    {
        // "aaa": pair (a,a) counts 2; merged left to right it becomes X a, so the next pair is (X, a).
        int[] m = Train(258, Whole, "aaa");
        Assert.Equal(new int[] { 'a', 'a', 256, 'a' }, m);
    }

    [Fact]
    public void Ties_go_to_the_smaller_pair()
    {
        // "ab" and "ba" once each, "cd" once: all pairs tie at 1; (a,b) < (b,a) < (c,d).
        int[] m = Train(259, Whole, "ab", "ba", "cd");
        Assert.Equal(new int[] { 'a', 'b', 'b', 'a', 'c', 'd' }, m);
    }

    [Fact]
    public void The_most_frequent_pair_wins_over_a_smaller_pair()
    {
        int[] m = Train(257, Whole, "ab", "yz", "yz");
        Assert.Equal(new int[] { 'y', 'z' }, m);
    }

    [Fact]
    public void Counts_are_weighted_by_chunk_frequency_across_documents()
    {
        // With the default pattern the chunk " the" occurs three times; its pairs ( t) (th) (he) tie at 3
        // and beat every pair of count 1 ("ab"), so the smallest of the three, (' ', 't'), comes first.
        int[] m = Train(257, null!, "ab the the the", "ab");
        Assert.Equal(new int[] { ' ', 't' }, m);
    }

    [Fact]
    public void Training_stops_early_when_no_pair_is_left()
    {
        var t = new BpeTrainer(Whole);
        t.Feed(ArrayDocuments.FromStrings("abc"), threads: 1);
        MergeEncoder e = t.Train(1000);
        Assert.Equal(2, e.NumMerges);          // ab, then (ab, c)
        Assert.Equal(258, e.VocabSize);
        Assert.Equal("abc", Encoding.UTF8.GetString(e.Token(257)));
    }

    [Fact]
    public void Vocab_size_below_256_is_an_error()
    {
        var t = new BpeTrainer();
        var ex = Assert.Throws<ArgumentException>(() => t.Train(255));
        Assert.Contains("256", ex.Message);
    }

    [Fact]
    public void An_invalid_pattern_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => new BpeTrainer("(unclosed"));
    }

    [Fact]
    public void Invalid_utf8_is_rejected_and_counts_nothing()
    {
        var t = new BpeTrainer();
        var docs = new ArrayDocuments(new[] { "hello"u8.ToArray(), new byte[] { 0x61, 0xFF } });
        Assert.Throws<InvalidUtf8Exception>(() => t.Feed(docs, threads: 2));
        Assert.Equal(0, t.UniqueChunks);
    }

    [Fact]
    public void Parallel_and_serial_counting_give_the_same_merges()
    {
        var docs = new List<byte[]>();
        var rng = new Random(7);
        string[] words = ["the", "cat", "sat", "on", "mat", "hat", "that", "catalog", "1234567", "!!"];
        for (int d = 0; d < 300; d++)
        {
            var sb = new StringBuilder();
            for (int w = 0; w < 40; w++) sb.Append(words[rng.Next(words.Length)]).Append(rng.Next(5) == 0 ? "\n" : " ");
            docs.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        var serial = new BpeTrainer();
        serial.Feed(new ArrayDocuments(docs), threads: 1);
        var parallel = new BpeTrainer();
        parallel.Feed(new ArrayDocuments(docs[..150]), threads: 4);
        parallel.Feed(new ArrayDocuments(docs[150..]), threads: 4);
        Assert.Equal(serial.Train(400).Merges.ToArray(), parallel.Train(400).Merges.ToArray());
    }

    [Fact]
    public void Encoding_round_trips_and_uses_the_learned_tokens()
    {
        var t = new BpeTrainer();
        t.Feed(ArrayDocuments.FromStrings("hello hello hello world", "hello there"), threads: 1);
        MergeEncoder e = t.Train(300);
        var ids = new List<int>();
        e.Encode("hello world"u8, ids);
        Assert.Equal(2, ids.Count);             // "hello" and " world" were learned whole
        var bytes = new byte[e.DecodedLength(ids.ToArray())];
        e.DecodeInto(ids.ToArray(), bytes);
        Assert.Equal("hello world", Encoding.UTF8.GetString(bytes));
        Assert.Throws<Crayon.Tokenization.UnknownTokenIdException>(() => e.DecodedLength(new[] { 5, e.VocabSize }));
    }

    [Fact]
    public void Merges_are_recovered_from_token_bytes()
    {
        var t = new BpeTrainer();
        t.Feed(ArrayDocuments.FromStrings("the theme of these themes is the thesis", "a b a b ab ab"), threads: 1);
        MergeEncoder e = t.Train(280);
        var tokens = new List<byte[]>();
        for (int r = 0; r < e.VocabSize; r++) tokens.Add(e.Token(r).ToArray());
        MergeEncoder back = MergeEncoder.FromTokens(e.Splitter, tokens);
        Assert.Equal(e.Merges.ToArray(), back.Merges.ToArray());
    }

    [Fact]
    public void Known_patterns_use_the_exact_splitter_and_agree_with_the_general_one()
    {
        string text = "He said \"I'll pay 12345\u00a0$\" \U0001D5A8x!!  \n\n\tok   ";
        foreach (string pattern in new[] { ChunkSplitters.Gpt4Pattern, KnownPatterns.Nanochat })
        {
            PreTokenizerSplitter exact = ChunkSplitters.Create(pattern);
            Assert.True(exact.PreTokenizer.IsExact);
            var a = new Collect();
            var b = new Collect();
            exact.Split(Encoding.UTF8.GetBytes(text), a);
            new PreTokenizerSplitter(new RegexPreTokenizer(pattern)).Split(Encoding.UTF8.GetBytes(text), b);
            Assert.Equal(b.Chunks, a.Chunks);
        }
        Assert.IsType<RegexPreTokenizer>(ChunkSplitters.Create(@"\w+|\s+").PreTokenizer);
        Assert.Throws<ArgumentException>(() => ChunkSplitters.Create(@"a*"));   // matches the empty string
    }

    [Fact]
    public void Possessive_quantifiers_become_atomic_groups()
    {
        Assert.Equal(@"(?>[^\r\n\p{L}]?)\p{L}+|(?>[^\s]+)x",
                     RegexPreTokenizer.Translate(@"[^\r\n\p{L}]?+\p{L}+|[^\s]++x"));
    }

    [Fact]
    public void A_byte_order_changes_only_which_tied_pair_goes_first()
    {
        // (a,b) and (c,d) tie; with c and d numbered before a and b, (c,d) is merged first, and
        // the merges are still reported with byte ids = byte values.
        var order = new byte[256];
        for (int i = 0; i < 256; i++) order[i] = (byte)i;
        (order['a'], order['c']) = (order['c'], order['a']);
        (order['b'], order['d']) = (order['d'], order['b']);
        var t = new BpeTrainer(Whole);
        t.SetByteOrder(order);
        t.Feed(ArrayDocuments.FromStrings("ab", "cd", "cd", "ab"), threads: 1);
        Assert.Equal(new int[] { 'c', 'd', 'a', 'b' }, t.Train(258).Merges.ToArray());
        Assert.Equal(new long[] { 2, 2 }, t.MergeCounts);
        Assert.Throws<ArgumentException>(() => t.SetByteOrder(new byte[256]));
    }

    private sealed class Collect : IChunkSink
    {
        public List<string> Chunks { get; } = new();
        public void OnChunk(ReadOnlySpan<byte> chunk) => Chunks.Add(Encoding.UTF8.GetString(chunk));
    }

    [Fact]
    public void Letters_outside_the_BMP_are_letters_to_the_general_splitter()
    {
        // U+1D5A8 is a letter (Lu): it joins the letters around it and stays apart from the quote;
        // U+1D7CE is a digit (Nd) and counts as one of the three digits of \p{N}{1,3}.
        var c = new Collect();
        new PreTokenizerSplitter(new RegexPreTokenizer(ChunkSplitters.Gpt4Pattern)).Split(Encoding.UTF8.GetBytes("\"a\U0001D5A8b\" 12\U0001D7CE4"), c);
        Assert.Equal(new[] { "\"a\U0001D5A8b", "\"", " ", "12\U0001D7CE", "4" }, c.Chunks);
    }

    [Fact]
    public void Chunk_counts_are_64_bit_and_survive_growth()
    {
        var table = new ChunkTable(capacity: 2);
        table.Add("the"u8, 3_000_000_000);
        for (int i = 0; i < 5000; i++) table.Add(Encoding.UTF8.GetBytes("w" + i));   // forces regrowth
        table.Add("the"u8, 3_000_000_000);
        Assert.Equal(5001, table.Count);
        Assert.Equal(6_000_000_000, table.Find("the"u8));
        Assert.Equal(1, table.Find("w4999"u8));
        Assert.Equal(-1, table.Find("absent"u8));
    }

    [Fact]
    public void Pair_counts_above_2_to_the_31_pick_the_right_pair()
    {
        // The merge loop works on the counted chunks: give it counts no 32-bit counter could hold.
        var chunks = new ChunkTable();
        chunks.Add("ab"u8, 3_000_000_000);
        chunks.Add("cd"u8, 2_999_999_999);
        chunks.Add("cd"u8, 2);
        var counts = new List<long>();
        int[] merges = MergeLoop.Run(chunks, 2, null, counts);
        Assert.Equal(new int[] { 'c', 'd', 'a', 'b' }, merges);
        Assert.Equal(new long[] { 3_000_000_001, 3_000_000_000 }, counts);
    }
}
