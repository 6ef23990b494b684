using System.Text;
using Crayon.Learning;
using Crayon.Training;

namespace Crayon.Tests.Engine;

public class PhraseSplitterTests
{
    private sealed class Collect : IChunkSink
    {
        public readonly List<byte[]> Chunks = [];
        public void OnChunk(ReadOnlySpan<byte> chunk) => Chunks.Add(chunk.ToArray());
    }

    private static List<string> Split(string text, int max)
    {
        var sink = new Collect();
        new PhraseSplitter(max).Split(Encoding.UTF8.GetBytes(text), sink);
        return sink.Chunks.Select(Encoding.UTF8.GetString).ToList();
    }

    [Fact]
    public void Line_feeds_lead_the_line_that_follows_them()
    {
        Assert.Equal(["def f():", "\n    return 1", "\n\n", ], Split("def f():\n    return 1\n\n", 64));
        Assert.Equal(["a", "\nb"], Split("a\nb", 64));
    }

    [Fact]
    public void Long_lines_are_cut_before_a_space_in_the_second_half_else_at_a_character_boundary()
    {
        Assert.Equal(["the quick brown", " fox jumps"], Split("the quick brown fox jumps", 16));
        List<string> cjk = Split(new string('語', 10), 8);   // 3-byte characters, no spaces
        Assert.All(cjk, c => Assert.True(Encoding.UTF8.GetByteCount(c) <= 8));
        Assert.Equal(new string('語', 10), string.Concat(cjk));
    }

    [Fact]
    public void Phrases_cover_all_valid_text_and_skip_invalid_bytes()
    {
        var rng = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            for (int i = 0; i < bytes.Length; i++) if (rng.Next(3) > 0) bytes[i] = (byte)" aé\n语x"[rng.Next(6)];
            var sink = new Collect();
            new PhraseSplitter(12).Split(bytes, sink);
            int covered = 0;
            foreach (byte[] c in sink.Chunks)
            {
                Assert.InRange(c.Length, 1, 12);
                Assert.True(System.Text.Unicode.Utf8.IsValid(c));
                covered += c.Length;
            }
            // Every byte of a valid character is in a phrase; invalid sequences are skipped.
            int valid = 0;
            for (int i = 0; i < bytes.Length;)
            {
                var status = System.Text.Rune.DecodeFromUtf8(bytes.AsSpan(i), out _, out int width);
                if (status == System.Buffers.OperationStatus.Done) valid += width;
                i += Math.Max(width, 1);
            }
            Assert.Equal(valid, covered);
        }
    }
}
