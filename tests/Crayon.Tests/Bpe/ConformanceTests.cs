using System.Text;
using Crayon.Bpe;
using Xunit.Abstractions;

namespace Crayon.Tests.Bpe;

/// <summary>
/// Quick conformance with the real tiktoken (npm build of OpenAI's Rust core) on real text from
/// tests/corpus.py. The big (20 MB per encoding) run lives in the Python conformance suite.
/// </summary>
public class ConformanceTests
{
    private readonly ITestOutputHelper _out;
    public ConformanceTests(ITestOutputHelper output) => _out = output;

    [Theory]
    [InlineData("cl100k_base", "english", 400_000)]
    [InlineData("cl100k_base", "code", 200_000)]
    [InlineData("cl100k_base", "multilingual", 300_000)]
    [InlineData("cl100k_base", "emoji", 100_000)]
    [InlineData("cl100k_base", "whitespace", 100_000)]
    [InlineData("cl100k_base", "punctuation", 100_000)]
    [InlineData("o200k_base", "english", 300_000)]
    [InlineData("o200k_base", "multilingual", 300_000)]
    [InlineData("o200k_base", "emoji", 100_000)]
    [InlineData("o200k_base", "code", 100_000)]
    [InlineData("o200k_base", "whitespace", 100_000)]
    [InlineData("r50k_base", "mixed", 200_000)]
    [InlineData("p50k_base", "mixed", 100_000)]
    public void IdsEqualTiktokens(string encoding, string kind, int bytes)
    {
        if (!Peers.Available) { _out.WriteLine("skipped: run `make peers` first"); return; }
        var docs = Peers.Corpus(kind, bytes);
        var enc = Peers.Encoding(encoding);
        var expected = Peers.TiktokenIds(encoding, docs);
        int mismatches = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            int[] ours = enc.EncodeOrdinary(docs[i]);
            if (!ours.AsSpan().SequenceEqual(expected[i]))
            {
                if (mismatches++ < 3) _out.WriteLine($"doc {i}: {FirstDifference(enc, docs[i], ours, expected[i])}");
            }
            Assert.Equal(Encoding.UTF8.GetBytes(docs[i]), enc.DecodeBytes(ours));
        }
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void AllowedSpecialsMatchTiktoken()
    {
        if (!Peers.Available) return;
        var docs = new List<string> { "hi <|endoftext|> there<|endofprompt|>", "<|endoftext|><|endoftext|>x", "a <|fim_prefix|>b" };
        var enc = Peers.Encoding("cl100k_base");
        var expected = Peers.TiktokenIds("cl100k_base", docs, "all");
        var all = enc.Policy(null, null, allowAll: true, disallowAll: false);
        for (int i = 0; i < docs.Count; i++)
            Assert.Equal(expected[i], enc.Encode(Encoding.UTF8.GetBytes(docs[i]), all));
    }

    private static string FirstDifference(BpeEncoding enc, string doc, int[] ours, int[] theirs)
    {
        int k = 0;
        while (k < ours.Length && k < theirs.Length && ours[k] == theirs[k]) k++;
        string Show(int[] ids) => string.Join(" ", ids.Skip(Math.Max(0, k - 2)).Take(6)
            .Select(id => $"{id}:{Encoding.UTF8.GetString(enc.TokenBytes(id))}".Replace("\n", "\\n")));
        return $"at token {k}: ours [{Show(ours)}] tiktoken [{Show(theirs)}]";
    }
}
