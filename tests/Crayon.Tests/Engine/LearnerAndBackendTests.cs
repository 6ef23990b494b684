using System.Text;
using Crayon.Backends;
using Crayon.Dat;
using Crayon.Learning;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

public class LearnerTests
{
    private static List<byte[]> Texts()
    {
        var rng = new Random(3);
        string[] words = ["tokenizer", "token", "profile", "the", "and", "vocabulary", "longest", "match", "日本語", "ça", "données", "🖍️"];
        var docs = new List<byte[]>();
        for (int d = 0; d < 40; d++)
        {
            var sb = new StringBuilder();
            for (int w = 0; w < 200; w++) sb.Append(words[rng.Next(words.Length)]).Append(rng.Next(8) == 0 ? ",\n    " : " ");
            docs.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        docs.Add([0xff, 0xfe, 0x80, (byte)'a', (byte)'b']); // invalid UTF-8 never becomes part of a token
        return docs;
    }

    [Fact]
    public void Learning_is_deterministic_and_tokens_come_from_valid_text_within_limits()
    {
        var a = new VocabularyLearner(100, 12).Learn(Texts());
        var b = new VocabularyLearner(100, 12).Learn(Texts());
        Assert.Equal(VocabularyLearner.ToJson(a), VocabularyLearner.ToJson(b));
        Assert.InRange(a.Count, 10, 100);
        string valid = Encoding.Latin1.GetString(Texts().Take(40).SelectMany(t => t).ToArray());
        foreach (byte[] t in a)
        {
            Assert.InRange(t.Length, 2, 12);
            Assert.Contains(Encoding.Latin1.GetString(t), valid);   // never built from the invalid bytes
        }
    }

    [Fact]
    public void Tokens_may_span_words_where_that_saves_most()
    {
        var docs = new List<byte[]>();
        for (int d = 0; d < 50; d++)
            docs.Add(Encoding.UTF8.GetBytes($"Line {d}: see the GNU General Public License for more details.\n"));
        var vocab = new VocabularyLearner(20, 64).Learn(docs).Select(Encoding.UTF8.GetString).ToList();
        Assert.Contains(vocab, t => t.Contains(" the GNU General Public License"));
    }

    [Fact]
    public void Extending_keeps_every_parent_id_and_learns_only_new_tokens()
    {
        var texts = Texts();
        List<byte[]> first = new VocabularyLearner(40, 16).Learn(texts);
        Profile parent = Profile.FromBytes(DatWriter.Build(first, "parent", "tests"));
        var more = new VocabularyLearner(60, 16).Learn(texts, VocabularyExtension.LearnedTokens(parent));
        Assert.NotEmpty(more);
        Assert.DoesNotContain(more, t => first.Any(f => f.AsSpan().SequenceEqual(t)));
        Profile child = Profile.FromBytes(VocabularyExtension.Build(parent, more, "child", "tests"));
        try
        {
            Assert.Equal(parent.VocabSize + more.Count, child.VocabSize);
            for (int id = 0; id < parent.VocabSize; id++)
                Assert.True(parent.Image.TokenAt(id).SequenceEqual(child.Image.TokenAt(id)), $"id {id} moved");
            using var p = new Tokenizer(Profile.FromBytes(DatWriter.Build(first, "parent", "tests")));
            using var c = new Tokenizer(Profile.FromBytes(VocabularyExtension.Build(parent, more, "child", "tests")));
            long before = 0, after = 0;
            foreach (byte[] t in texts) { before += p.Tokenize(t).Length; after += c.Tokenize(t).Length; Assert.Equal(t, c.Decode(p.Tokenize(t))); }
            Assert.True(after < before, $"{before} -> {after}");
        }
        finally { parent.Release(); child.Release(); }
    }

    [Fact]
    public void Partial_characters_are_written_as_base64_entries_in_the_json_list()
    {
        byte[] json = VocabularyLearner.ToJson([Encoding.UTF8.GetBytes("ça"), [0xE0, 0xA4]]);
        Assert.Equal("[\"ça\",{\"bytes\":\"4KQ=\"}]", Encoding.UTF8.GetString(json));
    }

    [Fact]
    public void Empty_text_size_zero_and_binary_input_give_documented_results()
    {
        Assert.Empty(new VocabularyLearner(100, 16).Learn([]));
        Assert.Empty(new VocabularyLearner(100, 16).Learn([[], []]));
        Assert.Empty(new VocabularyLearner(0, 16).Learn(Texts()));
        // Random bytes: mostly invalid UTF-8, which is skipped; whatever is learned is used and valid.
        var rng = new Random(7);
        var noise = new byte[200_000];
        rng.NextBytes(noise);
        foreach (byte[] t in new VocabularyLearner(1000, 16).Learn([noise]))
            Assert.True(t.Length >= 2 && t.Length <= 16);
    }

    [Fact]
    public void A_size_beyond_what_the_text_supports_gives_fewer_tokens_all_of_them_used()
    {
        // Short one-line documents: each is one phrase, so "used in training" is checkable exactly.
        var docs = Enumerable.Range(0, 200).Select(i => Encoding.UTF8.GetBytes(i % 2 == 0 ? "abc abd" : "abd abc")).ToList();
        var vocab = new VocabularyLearner(10_000, 16).Learn(docs);
        Assert.InRange(vocab.Count, 1, 20);
        using var tok = new Tokenizer(Crayon.Profiles.Profile.FromBytes(DatWriter.Build(vocab, "small", "tests")));
        var used = docs.SelectMany(d => tok.Tokenize(d)).ToHashSet();
        for (int i = 0; i < vocab.Count; i++) Assert.Contains(DatLayout.FirstLearnedId + i, used);
    }

    [Fact]
    public void The_learned_vocabulary_shortens_its_text_and_round_trips()
    {
        var texts = Texts();
        var vocab = new VocabularyLearner(200, 16).Learn(texts);
        using var tok = new Tokenizer(Crayon.Profiles.Profile.FromBytes(DatWriter.Build(vocab, "learned", "tests")));
        long bytes = 0, tokens = 0;
        foreach (byte[] t in texts)
        {
            int[] ids = tok.Tokenize(t);
            Assert.Equal(t, tok.Decode(ids));
            bytes += t.Length; tokens += ids.Length;
        }
        Assert.True(bytes > 3 * tokens, $"{bytes} bytes became {tokens} tokens");
    }

    [Fact]
    public void Progress_reports_and_can_cancel()
    {
        var seen = new List<ulong>();
        new VocabularyLearner(50, 8, (done, total) => { seen.Add(done); Assert.True(done <= total); return false; }).Learn(Texts());
        Assert.True(seen.Count > 3);
        Assert.Equal(seen.OrderBy(x => x), seen);
        Assert.Throws<OperationCanceledException>(() => new VocabularyLearner(50, 8, (_, _) => true).Learn(Texts()));
    }
}

public class BackendTests
{
    [Fact]
    public void Cpu_is_always_present_and_the_report_has_one_line_per_backend()
    {
        Assert.True(BackendDetector.Flags.HasFlag(BackendFlags.Cpu));
        string[] lines = BackendDetector.Report().TrimEnd('\n').Split('\n');
        Assert.Equal(["cpu", "avx2", "avx512", "cuda", "rocm", "opencl"], lines.Select(l => l.Split('\t')[0]));
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, BackendDetector.Flags.HasFlag(BackendFlags.Avx2));
    }

    [Fact]
    public void Auto_and_cpu_run_on_the_cpu_and_gpus_are_refused_with_what_is_available()
    {
        Assert.Equal("cpu", DeviceSelector.Select("auto"));
        Assert.Equal("cpu", DeviceSelector.Select(null));
        Assert.Equal("cpu", DeviceSelector.Select("CPU"));
        foreach (string gpu in new[] { "cuda", "rocm" })
            if (!Crayon.Gpu.GpuDevices.TryOpen(gpu, out _, out _))
                Assert.Contains("available: cpu", Assert.Throws<NotSupportedException>(() => DeviceSelector.Select(gpu)).Message);
        Assert.Throws<ArgumentException>(() => DeviceSelector.Select("tpu"));
    }
}
