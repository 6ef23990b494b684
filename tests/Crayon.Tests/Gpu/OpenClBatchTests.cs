using System.Text;
using Crayon.Gpu;
using Crayon.Profiles;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Gpu;

/// <summary>
/// The OpenCL path (PoCL on the CPU in `make test`) gives exactly the CPU's ids and offsets. Small
/// chunk and piece sizes put chunk boundaries and piece cuts inside tokens, so the round-based
/// boundary fixing and the streaming of documents across pieces are exercised on every input.
/// </summary>
[Collection("opencl")]
public class OpenClBatchTests
{
    private static readonly (int Chunk, int Piece)[] Shapes = [(512, 0), (7, 0), (3, 700), (64, 4096)];

    private static void AssertSameAsCpu(Func<Profile> load, IReadOnlyList<byte[]> docs)
    {
        using var cpu = new Tokenizer(load(), "cpu");
        var expect = GpuFixtures.Batch(cpu, docs);
        foreach (var (chunk, piece) in Shapes)
        {
            using var gpu = new Tokenizer(load(), "opencl");
            gpu.Gpu!.ChunkBytes = chunk;
            gpu.Gpu.PieceBytes = piece;
            var got = GpuFixtures.Batch(gpu, docs);
            Assert.True(expect.Offsets.SequenceEqual(got.Offsets), $"offsets differ (chunk {chunk}, piece {piece})");
            Assert.True(expect.Ids.SequenceEqual(got.Ids), $"ids differ (chunk {chunk}, piece {piece}) at {FirstDifference(expect.Ids, got.Ids)}");
        }
    }

    private static int FirstDifference(int[] a, int[] b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }

    [OpenClFact]
    public void Real_text_on_the_lite_profile_matches_the_cpu() =>
        AssertSameAsCpu(() => GpuFixtures.Bundled("lite"), GpuFixtures.RealDocuments(60));

    [OpenClFact]
    public void Nfc_profile_and_unicode_text_match_the_cpu()
    {
        var docs = new List<byte[]> { Encoding.UTF8.GetBytes(EngineFixtures.Sample), Encoding.UTF8.GetBytes("Cafe\u0301 re\u0301sume\u0301 ") };
        docs.AddRange(GpuFixtures.RealDocuments(10));
        byte[] img = Crayon.Dat.DatWriter.Build(EngineFixtures.SampleVocabulary(), "nfc", "t", Crayon.Normalization.TextNormalization.Nfc);
        AssertSameAsCpu(() => Profile.FromBytes(img), docs);
    }

    [OpenClFact]
    public void Random_bytes_empty_and_tiny_documents_match_the_cpu()
    {
        var rng = new Random(7);
        byte[] img = Crayon.Dat.DatWriter.Build(EngineFixtures.RandomVocabulary(rng, 400, "ab\u00e9 \x00\xff"), "r", "t");
        var docs = new List<byte[]>();
        for (int i = 0; i < 300; i++)
            docs.Add(i % 5 == 0 ? [] : EngineFixtures.RandomBytes(rng, rng.Next(1, i % 7 == 0 ? 3000 : 20)));
        // Text over the vocabulary's own alphabet, so long tokens match across chunk and piece boundaries.
        for (int i = 0; i < 20; i++)
            docs.Add(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(_ => "ab\u00e9 "[rng.Next(4)]))));
        AssertSameAsCpu(() => Profile.FromBytes(img), docs);
    }

    [OpenClFact]
    public void No_documents_and_only_empty_documents_give_zero_tokens()
    {
        AssertSameAsCpu(() => EngineFixtures.Load(EngineFixtures.SampleVocabulary()), []);
        AssertSameAsCpu(() => EngineFixtures.Load(EngineFixtures.SampleVocabulary()), [[], [], []]);
    }

    [OpenClFact]
    public void One_huge_document_streamed_in_pieces_matches_the_cpu()
    {
        var sb = new StringBuilder();
        foreach (byte[] d in GpuFixtures.RealDocuments(40)) sb.Append(Encoding.UTF8.GetString(d));
        while (sb.Length < 3_000_000) sb.Append(sb.ToString(0, Math.Min(sb.Length, 3_000_000 - sb.Length)));
        byte[] huge = Encoding.UTF8.GetBytes(sb.ToString());
        Profile Load() => GpuFixtures.Bundled("lite");
        using var cpu = new Tokenizer(Load(), "cpu");
        var expect = GpuFixtures.Batch(cpu, [huge]);
        using var gpu = new Tokenizer(Load(), "opencl");
        gpu.Gpu!.PieceBytes = 1 << 20;   // three pieces, each cut inside the document
        var got = GpuFixtures.Batch(gpu, [huge]);
        Assert.Equal(expect.Offsets, got.Offsets);
        Assert.True(expect.Ids.SequenceEqual(got.Ids));
    }

    [OpenClFact]
    public void Too_small_output_returns_minus_the_total_with_offsets_like_the_cpu()
    {
        byte[][] docs = [Encoding.UTF8.GetBytes(EngineFixtures.Sample), Encoding.UTF8.GetBytes("the fox")];
        long[] results = new long[2];
        long[][] offsets = [new long[3], new long[3]];
        int i = 0;
        foreach (string device in new[] { "cpu", "opencl" })
        {
            using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()), device);
            unsafe
            {
                fixed (byte* a = docs[0]) fixed (byte* b = docs[1]) fixed (long* off = offsets[i])
                {
                    int one = 0;
                    results[i] = tok.TokenizeBatch([(nint)a, (nint)b], [docs[0].Length, docs[1].Length], &one, 1, off, 1);
                }
            }
            i++;
        }
        Assert.True(results[0] < -1);
        Assert.Equal(results[0], results[1]);
        Assert.Equal(offsets[0], offsets[1]);
    }

    [OpenClFact]
    public void Single_text_calls_run_on_the_device_and_keep_the_partial_output_contract()
    {
        byte[] text = Encoding.UTF8.GetBytes(EngineFixtures.Sample);
        using var cpu = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()), "cpu");
        using var gpu = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()), "opencl");
        Assert.Equal(cpu.Tokenize(text), gpu.Tokenize(text));
        var small = new int[5];
        long total = gpu.Tokenize(text, small);
        Assert.Equal(cpu.Tokenize(text).Length, total);
        Assert.Equal(cpu.Tokenize(text)[..5], small);
    }

    [OpenClFact]
    public unsafe void Hostile_trie_values_never_fault_the_kernel()
    {
        // base/check/value pointing anywhere (negative, past the end, int.MaxValue), a fixed entry past
        // the text, chunk ends past the text and chunk starts outside the ids: wrong ids are allowed, a fault is not.
        GpuDevice device = GpuDevices.Open("opencl");
        var rng = new Random(3);
        const int nodes = 300, textLength = 1000, chunks = 40;
        int[] Garbage(int n) => Enumerable.Range(0, n).Select(_ => rng.Next(4) switch
            { 0 => rng.Next(-1000, 0), 1 => rng.Next(nodes - 5, nodes + 300), 2 => int.MaxValue - rng.Next(300), _ => rng.Next(nodes) }).ToArray();
        int[] start = Enumerable.Range(0, chunks).Select(c => c * 25).ToArray();
        int[] end = start.Select(s => s + 25 + rng.Next(2) * 5000).ToArray();
        start[5] = -1000;            // output regions outside the ids buffer
        start[6] = int.MaxValue;
        int[] limit = Enumerable.Range(0, chunks).Select(_ => rng.Next(2) == 0 ? textLength : int.MaxValue).ToArray();
        int[] fixedEntry = Enumerable.Range(0, chunks).Select(c => c % 10 == 0 ? (c == 20 ? 5000 : start[c]) : -1).ToArray();
        int[] assumed = Enumerable.Repeat(-1, chunks).ToArray();
        int[] exits = end.ToArray();
        lock (device.Lock)
        {
            var buffers = new List<GpuBuffer>();
            GpuBuffer Upload(int[] a)
            {
                var b = device.Allocate(4L * a.Length);
                buffers.Add(b);
                fixed (int* p = a) device.Write(b, p, 4L * a.Length);
                return b;
            }
            try
            {
                GpuBuffer text = device.Allocate(textLength);
                buffers.Add(text);
                byte[] bytes = EngineFixtures.RandomBytes(rng, textLength);
                fixed (byte* p = bytes) device.Write(text, p, textLength);
                GpuBuffer counts = Upload(new int[chunks]), ids = Upload(new int[textLength]), changed = Upload([0]);
                device.Launch(GpuKernel.WalkChunks, chunks,
                [
                    new(Upload(Garbage(nodes)), nodes), new(Upload(Garbage(nodes)), nodes), new(Upload(Garbage(nodes)), nodes),
                    new(text, textLength),
                    new(Upload(start), chunks), new(Upload(end), chunks), new(Upload(limit), chunks), new(Upload(fixedEntry), chunks),
                    new(Upload(exits), chunks), new(Upload(new int[chunks]), chunks), new(Upload(assumed), chunks), new(counts, chunks),
                    new(ids, textLength), new(changed, 1),
                ]);
                var got = new int[chunks];
                fixed (int* p = got) device.Read(counts, p, 4L * chunks);
                Assert.All(got, n => Assert.InRange(n, 0, textLength));
                Assert.Contains(got, n => n > 0);
            }
            finally
            {
                foreach (var b in buffers) device.Free(b);
            }
        }
    }
}
