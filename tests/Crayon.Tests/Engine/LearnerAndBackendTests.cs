using System.Text;
using Crayon.Backends;
using Crayon.Dat;
using Crayon.Learning;
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
    public void Learning_is_deterministic_and_gives_valid_utf8_tokens_within_limits()
    {
        var a = new VocabularyLearner(100, 12).Learn(Texts());
        var b = new VocabularyLearner(100, 12).Learn(Texts());
        Assert.Equal(VocabularyLearner.ToJson(a), VocabularyLearner.ToJson(b));
        Assert.InRange(a.Count, 10, 100);
        foreach (byte[] t in a)
        {
            Assert.InRange(t.Length, 2, 12);
            Assert.True(System.Text.Unicode.Utf8.IsValid(t), Encoding.Latin1.GetString(t));
        }
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
        Assert.Equal(["cpu", "avx2", "avx512", "cuda", "rocm"], lines.Select(l => l.Split('\t')[0]));
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, BackendDetector.Flags.HasFlag(BackendFlags.Avx2));
    }

    [Fact]
    public void Auto_and_cpu_run_on_the_cpu_and_gpus_are_refused_with_what_is_available()
    {
        Assert.Equal("cpu", DeviceSelector.Select("auto"));
        Assert.Equal("cpu", DeviceSelector.Select(null));
        Assert.Equal("cpu", DeviceSelector.Select("CPU"));
        foreach (string gpu in new[] { "cuda", "rocm" })
            Assert.Contains("available: cpu", Assert.Throws<NotSupportedException>(() => DeviceSelector.Select(gpu)).Message);
        Assert.Throws<ArgumentException>(() => DeviceSelector.Select("tpu"));
    }
}
