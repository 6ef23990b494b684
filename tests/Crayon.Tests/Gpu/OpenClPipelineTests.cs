using Crayon.Dat;
using Crayon.Gpu;
using Crayon.Profiles;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Gpu;

/// <summary>
/// Streaming in double-buffered pieces (GpuSession over two queues) on PoCL, watched through a
/// <see cref="RecordingDevice"/>: exact for every piece and chunk size, uploads and read-outs really
/// enqueued beside the other piece's kernels, async copies only from page-locked staging, memory flat
/// over many calls and released, and a device failure mid-batch a clean error after which the session
/// still gives exact ids.
/// </summary>
[Collection("opencl")]
public unsafe class OpenClPipelineTests
{
    private static readonly byte[] s_image = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(11), 400, "ab\u00e9 \x00\xff"), "r", "t");

    private static Profile RandomProfile() => Profile.FromBytes(s_image);

    private static (long Result, int[] Ids, long[] Offsets) Run(GpuSession session, Profile profile, IReadOnlyList<byte[]> docs, long capacity = -1)
    {
        var handles = docs.Select(d => System.Runtime.InteropServices.GCHandle.Alloc(d, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            nint[] ptrs = handles.Select((h, i) => docs[i].Length == 0 ? 0 : h.AddrOfPinnedObject()).ToArray();
            long[] lens = docs.Select(d => (long)d.Length).ToArray();
            if (capacity < 0) capacity = lens.Sum() + 1;
            var ids = Enumerable.Repeat(-7, (int)capacity + 64).ToArray();   // -7: never written
            var offsets = new long[docs.Count + 1];
            long n;
            fixed (int* o = ids)
            fixed (long* off = offsets)
                n = session.Run(profile, ptrs, lens, o, capacity, off);
            return (n, ids, offsets);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static (int[] Ids, long[] Offsets) Cpu(IReadOnlyList<byte[]> docs)
    {
        using var cpu = new Tokenizer(RandomProfile(), "cpu");
        return GpuFixtures.Batch(cpu, docs);
    }

    [OpenClFact]
    public void Every_piece_and_chunk_size_gives_the_cpus_ids()
    {
        var docs = GpuFixtures.MixedDocuments(1, 120, 20_000);
        var expect = Cpu(docs);
        Profile profile = RandomProfile();
        var recorder = new RecordingDevice(GpuDevices.Open("opencl"));
        using var session = new GpuSession(recorder);
        // 1 is raised to the smallest legal piece (two tokens and 64 bytes): hundreds of pieces.
        foreach (int piece in new[] { 1, 150, 333, 1000, 4097, 0 })
            foreach (int chunk in new[] { 3, 64, 512 })
            {
                session.PieceBytes = piece;
                session.ChunkBytes = chunk;
                long piecesBefore = session.Totals.Pieces;
                var (n, ids, offsets) = Run(session, profile, docs);
                string shape = $"piece {piece}, chunk {chunk}";
                Assert.True(n == expect.Ids.Length, $"{shape}: {n} tokens, expected {expect.Ids.Length}");
                Assert.True(expect.Offsets.SequenceEqual(offsets), $"{shape}: offsets differ");
                Assert.True(expect.Ids.AsSpan().SequenceEqual(ids.AsSpan(0, (int)n)), $"{shape}: ids differ");
                if (piece is > 0 and < 4000) Assert.True(session.Totals.Pieces - piecesBefore > 10, $"{shape}: expected many pieces");
            }
        Assert.True(recorder.Idle);
        Assert.Equal(0, recorder.UnwaitedPageableCopies);
    }

    [OpenClFact]
    public void Next_piece_uploads_and_previous_read_outs_are_queued_beside_the_current_pieces_kernels()
    {
        var docs = GpuFixtures.MixedDocuments(2, 120, 60_000);
        var recorder = new RecordingDevice(GpuDevices.Open("opencl"));
        using var session = new GpuSession(recorder) { PieceBytes = 2048 };
        var (n, ids, _) = Run(session, RandomProfile(), docs);
        Assert.True(Cpu(docs).Ids.AsSpan().SequenceEqual(ids.AsSpan(0, (int)n)));
        long pieces = session.Totals.Pieces;
        Assert.True(pieces > 20, $"{pieces} pieces");
        // Each piece after the first is staged (7 uploads) while its predecessor walks, and each
        // piece's ids are read out while the next one walks.
        Assert.True(recorder.UploadsBesideWalk >= 7 * (pieces - 1), $"{recorder.UploadsBesideWalk} uploads beside a walk, {pieces} pieces");
        Assert.True(recorder.ReadOutsBesideWalk >= pieces - 1, $"{recorder.ReadOutsBesideWalk} read-outs beside a walk, {pieces} pieces");
        Assert.Equal(0, recorder.UnwaitedPageableCopies);
        Assert.True(recorder.Idle);

        // One piece: nothing to overlap with, and the second slot is never allocated.
        var single = new RecordingDevice(GpuDevices.Open("opencl"));
        using var one = new GpuSession(single);
        Run(one, RandomProfile(), docs);
        Assert.Equal(1, one.Totals.Pieces);
        Assert.Equal(0, single.UploadsBesideWalk);
        Assert.Equal(3, single.HostBlocks);   // one slot: text, chunk tables, ids
    }

    [OpenClFact]
    public void Device_and_page_locked_memory_stay_flat_over_many_multi_piece_calls_and_are_released()
    {
        var big = GpuFixtures.MixedDocuments(3, 120, 30_000);
        var small = big.Take(10).ToList();
        var recorder = new RecordingDevice(GpuDevices.Open("opencl"));
        var session = new GpuSession(recorder) { PieceBytes = 4096 };
        Run(session, RandomProfile(), big);
        long live = recorder.LiveBytes;
        int host = recorder.HostBlocks;
        Assert.Equal(6, host);   // two slots: text, chunk tables, ids each
        for (int i = 0; i < 20; i++)
        {
            Run(session, RandomProfile(), i % 2 == 0 ? small : big);
            Assert.Equal(live, recorder.LiveBytes);
            Assert.Equal(host, recorder.HostBlocks);
        }
        session.Dispose();
        Assert.Equal(0, recorder.LiveBytes);
        Assert.Equal(0, recorder.HostBlocks);
    }

    [OpenClFact]
    public void A_device_failure_mid_batch_is_a_clear_error_and_the_session_stays_exact()
    {
        var docs = GpuFixtures.MixedDocuments(4, 120, 20_000);
        var expect = Cpu(docs);
        var recorder = new RecordingDevice(GpuDevices.Open("opencl"));
        using var session = new GpuSession(recorder) { PieceBytes = 1024 };
        recorder.FailAtLaunch = 9;
        var e = Assert.Throws<GpuException>(() => Run(session, RandomProfile(), docs));
        Assert.Contains("device lost", e.Message);
        Assert.True(recorder.Idle, "queued work left behind after the error");
        recorder.FailAtLaunch = 0;
        var (n, ids, offsets) = Run(session, RandomProfile(), docs);
        Assert.Equal(expect.Offsets, offsets);
        Assert.True(expect.Ids.AsSpan().SequenceEqual(ids.AsSpan(0, (int)n)));
    }

    [OpenClFact]
    public void A_too_small_output_on_a_multi_piece_batch_returns_minus_the_total_and_writes_only_within_capacity()
    {
        var docs = GpuFixtures.MixedDocuments(5, 120, 20_000);
        var expect = Cpu(docs);
        var recorder = new RecordingDevice(GpuDevices.Open("opencl"));
        using var session = new GpuSession(recorder) { PieceBytes = 1024 };
        int capacity = expect.Ids.Length / 2;
        var (n, ids, offsets) = Run(session, RandomProfile(), docs, capacity);
        Assert.Equal(-expect.Ids.Length, n);
        Assert.Equal(expect.Offsets, offsets);
        Assert.All(ids.Skip(capacity), v => Assert.Equal(-7, v));
        // Whole pieces that fit are written, and they are the CPU's ids.
        int written = Array.IndexOf(ids, -7);
        Assert.True(written > 0);
        Assert.True(expect.Ids.AsSpan(0, written).SequenceEqual(ids.AsSpan(0, written)));
    }
}
