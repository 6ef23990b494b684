using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;
using Crayon.Profiles;
using Crayon.Streaming;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Streaming;

/// <summary>
/// The file pipeline with tiny jobs, so that small files go through every path: parallel jobs at
/// independent cuts, documents that straddle rounds, and the one-session fallback for text with no
/// independent cut. Each run must equal tokenizing every document in one call.
/// </summary>
public sealed class ShardFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crayon-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BpeEncoding SmallBpe()
    {
        var (tokens, ranks) = Bpe.MergeTests.GrowVocabulary(5, "ab c\n<|>.", 200);
        return BpeEncoding.FromRanks(tokens, ranks, KnownPatterns.Cl100k, ["<|x|>"], [5000]);
    }

    private int[] Run(TokenEngine engine, byte[] text, string separator, int threads, out long[] offsets)
    {
        string input = Path.Combine(_dir, "in.txt"), output = Path.Combine(_dir, "ids.bin"), index = output + ".idx";
        File.WriteAllBytes(input, text);
        ShardFile.Write(engine, new ShardOptions
        {
            Input = input, Output = output, Index = index, IdBytes = 4, Bos = 7, Threads = threads,
            DocumentSeparator = Encoding.UTF8.GetBytes(separator), JobBytes = 1024,
        });
        offsets = ShardIndex.Read(index).Offsets;
        byte[] raw = File.ReadAllBytes(output);
        var ids = new int[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, ids, 0, raw.Length);
        Assert.Equal(["ids.bin", "ids.bin.idx", "in.txt"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
        return ids;
    }

    private static void AssertDocuments(Func<byte[], int[]> oneCall, byte[] text, string separator, int[] ids, long[] offsets)
    {
        var docs = separator.Length == 0
            ? [text]
            : Encoding.UTF8.GetString(text).Split(separator).Where(d => d.Length > 0).Select(Encoding.UTF8.GetBytes).ToList();
        Assert.Equal(docs.Count + 1, offsets.Length);
        var expected = new List<int>();
        for (int d = 0; d < docs.Count; d++)
        {
            Assert.Equal(expected.Count, offsets[d]);
            expected.Add(7);
            expected.AddRange(oneCall(docs[d]));
        }
        Assert.Equal(expected.Count, offsets[^1]);
        Assert.Equal(expected, ids);
    }

    private static byte[] RandomText(int seed, int words, params string[] vocabulary)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < words; i++) sb.Append(vocabulary[rng.Next(vocabulary.Length)]);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Theory]
    [InlineData("", 1)]
    [InlineData("", 2)]
    [InlineData("\n\n", 2)]
    public void LongestMatchWithInitialOnlyBytesSplitsIntoParallelJobs(string separator, int threads)
    {
        var tokenizer = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()), "cpu");
        byte[] text = RandomText(1, 4000, "the", " quick", " fox", "\n", "\n\n", " 日本語", "テキスト", " z");
        using var engine = TokenEngine.ForProfile(tokenizer);
        int[] ids = Run(engine, text, separator, threads, out long[] offsets);
        AssertDocuments(d => tokenizer.Tokenize(d), text, separator, ids, offsets);
    }

    [Theory]
    [InlineData(1, "")]
    [InlineData(2, "")]
    [InlineData(2, "\n\n")]
    public void LongestMatchWithoutIndependentCutsStitchesParallelChunks(int threads, string separator)
    {
        // Every byte of the text also occurs inside a token: no cut is provable, so chunks are
        // matched from arbitrary starts and stitched where they meet the true tokenization.
        var tokenizer = new Tokenizer(EngineFixtures.Load(EngineFixtures.Words("ab", "ba", "aab", "bba", "abab", "babab", "a\n", "\n\nb")), "cpu");
        byte[] text = RandomText(2, 60_000, "a", "b", "ab", "bbbab", "\n\n");
        using var engine = TokenEngine.ForProfile(tokenizer);
        int[] ids = Run(engine, text, separator, threads, out long[] offsets);
        AssertDocuments(d => tokenizer.Tokenize(d), text, separator, ids, offsets);
    }

    [Fact]
    public void NfcLongestMatchWithoutIndependentCutsStreamsOneSession()
    {
        var profile = Profile.FromBytes(Crayon.Dat.DatWriter.Build(EngineFixtures.Words("ab", "ba", "é", "aé", "e\u0301b"), "nfc", "tests",
                                                                   Crayon.Normalization.TextNormalization.Nfc));
        var tokenizer = new Tokenizer(profile, "cpu");
        byte[] text = RandomText(5, 40_000, "a", "b", "e\u0301", "é", "a\u0308");
        using var engine = TokenEngine.ForProfile(tokenizer);
        int[] ids = Run(engine, text, "", 2, out long[] offsets);
        AssertDocuments(d => tokenizer.Tokenize(d), text, "", ids, offsets);
    }

    [Theory]
    [InlineData("", 2)]
    [InlineData("..", 2)]
    [InlineData("c\n", 1)]
    public void BpeMatchesOneCallPerDocument(string separator, int threads)
    {
        var enc = SmallBpe();
        var policy = enc.Policy(null, null, allowAll: true, disallowAll: false);
        // Words have many cuts; one long whitespace run has none (the session takes over there).
        byte[] words = RandomText(3, 2_000, "ab", " abc", " ", "\n", "..", "<|x|>", "c\n", "ba.", "   ");
        byte[] text = [.. words, .. Encoding.ASCII.GetBytes(new string(' ', 20_000)), .. RandomText(4, 2_000, "ab", " abc", "..", "c\n")];
        using var engine = TokenEngine.ForBpe(enc, policy);
        int[] ids = Run(engine, text, separator, threads, out long[] offsets);
        AssertDocuments(d => enc.Encode(d, policy), text, separator, ids, offsets);
    }

    [Fact]
    public void Uint16RefusesIdsThatDoNotFit()
    {
        var wide = BpeEncoding.FromRanks(Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToList(),
                                         Enumerable.Range(0, 256).ToList(), KnownPatterns.Cl100k, ["<|big|>"], [65536]);   // one id past uint16
        using var engine = TokenEngine.ForBpe(wide, SpecialPolicy.None);
        var e = Assert.Throws<ArgumentException>(() => ShardFile.Write(engine, new ShardOptions
        {
            Input = "/dev/null", Output = Path.Combine(_dir, "x.bin"), IdBytes = 2,
        }));
        Assert.Contains("do not fit in uint16", e.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }
}
