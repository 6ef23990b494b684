using System.Text;
using System.Text.Unicode;
using Crayon.Bpe;
using Crayon.PreTokenize;
using Crayon.Training;

namespace Crayon.Fuzz;

/// <summary>
/// The BPE trainer on hostile documents. Invariants: a batch with invalid UTF-8 fails with
/// InvalidUtf8Exception and counts nothing; training is deterministic (the same documents fed in
/// reverse order, in two batches, give the same merges and counts); a smaller
/// vocabulary is a prefix of a larger one; every merge joins earlier ids; encoding each document
/// with the result decodes back, needs no more ids than bytes, and equals tiktoken-style encoding
/// (BpeEncoding) with the same ranks.
/// Input: byte 0 = vocab_size - 256; byte 1 picks the split pattern (GPT-4, gpt2, o200k, or a
/// general-path regex; bit 7: feed on two threads); the rest is documents separated by 0x00.
/// </summary>
internal sealed class TrainerTarget : IFuzzTarget
{
    public string Name => "trainer";

    private static readonly string?[] s_patterns =
        [null, KnownPatterns.Gpt2, KnownPatterns.O200k, @"[a-z]+|[0-9]{1,2}|\s+|[^a-z0-9\s]+"];

    // Splitters are immutable; made once, since the general path compiles a Regex (milliseconds).
    private static readonly IChunkSplitter[] s_splitters = s_patterns.Select(p => (IChunkSplitter)ChunkSplitters.Create(p)).ToArray();

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return;
        int vocab = 256 + input[0];
        string? pattern = s_patterns[input[1] % s_patterns.Length];
        IChunkSplitter splitter = s_splitters[input[1] % s_patterns.Length];
        var docs = new List<byte[]>();
        foreach (Range r in input[2..].Split((byte)0)) docs.Add(input[2..][r].ToArray());
        bool valid = docs.All(d => Utf8.IsValid(d));

        var first = new BpeTrainer(splitter);
        try
        {
            first.Feed(new ArrayDocuments(docs), threads: 1);
        }
        catch (InvalidUtf8Exception)
        {
            FuzzFailure.Check(!valid, "valid UTF-8 documents were rejected");
            FuzzFailure.Check(first.UniqueChunks == 0, "a rejected batch left counts behind");
            return;
        }
        FuzzFailure.Check(valid, "a batch with invalid UTF-8 was accepted");
        MergeEncoder a = first.Train(vocab);
        long[] counts = first.MergeCounts;

        // Byte 1 bit 7: the second feed runs on two threads (the parallel fold), else one (faster).
        var second = new BpeTrainer(splitter);
        int threads = (input[1] & 0x80) != 0 ? 2 : 1;
        // In reverse order and in two batches (each batch folds into the counts once; one batch per
        // document cost a fresh chunk table each and made this target several times slower).
        var reversed = Enumerable.Reverse(docs).ToList();
        int half = reversed.Count / 2;
        second.Feed(new ArrayDocuments(reversed[..half]), threads);
        second.Feed(new ArrayDocuments(reversed[half..]), threads);
        MergeEncoder b = second.Train(vocab);
        FuzzFailure.Check(a.Merges.SequenceEqual(b.Merges) && counts.AsSpan().SequenceEqual(second.MergeCounts),
                          "the same documents fed in another order gave other merges");

        FuzzFailure.Check(a.VocabSize <= vocab && a.VocabSize == 256 + counts.Length, $"vocab size {a.VocabSize} for {vocab} asked");
        for (int k = 0; k < a.NumMerges; k++)
            FuzzFailure.Check(a.Merges[2 * k] < 256 + k && a.Merges[2 * k + 1] < 256 + k, $"merge {k} joins a later id");
        MergeEncoder smaller = first.Train(256 + input[0] / 2);
        FuzzFailure.Check(a.Merges.StartsWith(smaller.Merges), "a smaller vocabulary is not a prefix of the larger one");

        // BpeEncoding compiles the general-path Regex again (milliseconds), so for that pattern the
        // comparison runs only when byte 1 bit 6 asks for it.
        bool general = input[1] % s_patterns.Length == 3;
        BpeEncoding? tiktoken = !general || (input[1] & 0x40) != 0 ? AsTiktoken(a, pattern ?? ChunkSplitters.Gpt4Pattern) : null;
        var ids = new List<int>();
        foreach (byte[] doc in docs)
        {
            ids.Clear();
            a.Encode(doc, ids);
            FuzzFailure.Check(ids.Count <= doc.Length, $"{ids.Count} ids for {doc.Length} bytes");
            var back = new byte[a.DecodedLength(ids.ToArray())];
            a.DecodeInto(ids.ToArray(), back);
            FuzzFailure.Check(back.AsSpan().SequenceEqual(doc), $"trainer decode(encode(x)) != x for {FuzzFailure.Hex(doc)}");
            if (tiktoken is not null)
            {
                int[] expected = tiktoken.Encode(doc, SpecialPolicy.None);
                FuzzFailure.Check(expected.AsSpan().SequenceEqual(ids.ToArray()),
                    $"trainer encode [{string.Join(",", ids)}] differs from BpeEncoding [{string.Join(",", expected)}] on {FuzzFailure.Hex(doc)}");
            }
        }
    }

    /// <summary>The trained ranks as a BpeEncoding; null only when two merges made the same bytes
    /// (then no rank file can hold the vocabulary, which the check below confirms).</summary>
    private static BpeEncoding? AsTiktoken(MergeEncoder m, string pattern)
    {
        var tokens = new List<byte[]>(m.VocabSize);
        for (int r = 0; r < m.VocabSize; r++) tokens.Add(m.Token(r).ToArray());
        try
        {
            return BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToArray(), pattern, [], []);
        }
        catch (InvalidDataException e)
        {
            var distinct = new HashSet<string>(tokens.Select(t => Fixtures.Latin1(t)));
            FuzzFailure.Check(distinct.Count < tokens.Count, $"the trained ranks were refused: {e.Message}");
            return null;
        }
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Seed(byte size, byte pattern, params string[] docs) =>
            [size, pattern, .. Encoding.UTF8.GetBytes(string.Join('\0', docs))];
        yield return ("gpt4", Seed(40, 0, "hello hello world", "the the the cat", "aaa aaaa aaaaa", "It's 123456"));
        yield return ("gpt2", Seed(30, 1, "low lower lowest", "new newer newest", "  spaces\n\n"));
        yield return ("o200k", Seed(50, 2, "CamelCase camelCase", "naïve café 中文 😀😀", "x/y/z"));
        yield return ("general", Seed(20, 3, "abcabc 1234 !!", "zz zz zz"));
        yield return ("invalid", [10, 0, (byte)'o', (byte)'k', 0, 0xc3, 0x28]);
        yield return ("repeat", Seed(255, 0, new string('a', 300), "ab" + new string('b', 100)));
    }
}
