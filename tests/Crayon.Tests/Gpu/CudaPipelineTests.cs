using Crayon.Dat;
using Crayon.Gpu;
using Crayon.Profiles;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Gpu;

[CollectionDefinition("fake-cuda", DisableParallelization = true)]
public sealed class FakeCudaCollection;

/// <summary>
/// The CUDA host path (CudaDevice + GpuSession's double-buffered pieces) on <see cref="FakeCudaDriver"/>:
/// streams that only run at cuStreamSynchronize, garbage-filled device memory, and kernels modelled in
/// C#. Exact ids for every split prove that the session waits before it reads and never reuses staging
/// too early; the fake's counters show the streams overlap, copies are async from page-locked memory,
/// the events time every command, and everything is released. Runs without a GPU.
/// </summary>
[Collection("fake-cuda")]
public unsafe class CudaPipelineTests : IDisposable
{
    private static readonly byte[] s_image = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(21), 300, "ab\u00e9 \x00\xff"), "r", "t");

    public CudaPipelineTests() => FakeCudaDriver.Reset();
    public void Dispose() => FakeCudaDriver.Reset();

    private static (long Result, int[] Ids, long[] Offsets) Run(GpuSession session, IReadOnlyList<byte[]> docs)
    {
        var handles = docs.Select(d => System.Runtime.InteropServices.GCHandle.Alloc(d, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            nint[] ptrs = handles.Select((h, i) => docs[i].Length == 0 ? 0 : h.AddrOfPinnedObject()).ToArray();
            long[] lens = docs.Select(d => (long)d.Length).ToArray();
            var ids = new int[lens.Sum() + 1];
            var offsets = new long[docs.Count + 1];
            long n;
            fixed (int* o = ids)
            fixed (long* off = offsets)
                n = session.Run(Profile.FromBytes(s_image), ptrs, lens, o, ids.Length, off);
            return (n, ids.AsSpan(0, (int)Math.Max(0, n)).ToArray(), offsets);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static (int[] Ids, long[] Offsets) Cpu(IReadOnlyList<byte[]> docs)
    {
        using var cpu = new Tokenizer(Profile.FromBytes(s_image), "cpu");
        return GpuFixtures.Batch(cpu, docs);
    }

    [Fact]
    public void Every_split_gives_the_cpus_ids_through_the_cuda_host_path()
    {
        var docs = GpuFixtures.MixedDocuments(1, 80, 12_000);
        var expect = Cpu(docs);
        CudaDevice device = CudaDevice.Open(FakeCudaDriver.Table());
        Assert.Equal("Fake GPU, 1024 MiB, CUDA driver 12.4", device.Description);
        using (var session = new GpuSession(device))
            foreach (int piece in new[] { 1, 200, 777, 3000, 0 })
                foreach (int chunk in new[] { 3, 100, 512 })
                {
                    session.PieceBytes = piece;
                    session.ChunkBytes = chunk;
                    var (n, ids, offsets) = Run(session, docs);
                    Assert.True(expect.Offsets.SequenceEqual(offsets), $"piece {piece}, chunk {chunk}: offsets differ");
                    Assert.True(expect.Ids.SequenceEqual(ids), $"piece {piece}, chunk {chunk}: ids differ ({n} tokens)");
                }
        device.Dispose();
        AssertAllReleased();
    }

    [Fact]
    public void Pieces_overlap_across_two_non_blocking_streams_with_async_copies_from_page_locked_memory()
    {
        var docs = GpuFixtures.MixedDocuments(2, 80, 40_000);
        CudaDevice device = CudaDevice.Open(FakeCudaDriver.Table());
        using (var session = new GpuSession(device) { PieceBytes = 2048 })
        {
            var (_, ids, _) = Run(session, docs);
            Assert.True(Cpu(docs).Ids.SequenceEqual(ids));
            long pieces = session.Totals.Pieces;
            Assert.True(pieces > 10);
            Assert.Equal(1u, FakeCudaDriver.StreamFlags);        // CU_STREAM_NON_BLOCKING
            Assert.Equal(2, FakeCudaDriver.LiveStreams);
            // Piece k+1 is uploaded while piece k walks; piece k-1's ids come back while piece k walks.
            Assert.True(FakeCudaDriver.UploadsBesideWalk >= 7 * (pieces - 1), $"{FakeCudaDriver.UploadsBesideWalk} uploads beside a walk, {pieces} pieces");
            Assert.True(FakeCudaDriver.ReadOutsBesideWalk >= pieces - 1, $"{FakeCudaDriver.ReadOutsBesideWalk} read-outs beside a walk, {pieces} pieces");
            Assert.Equal(3, FakeCudaDriver.PageableAsyncCopies);   // only the trie's one-time upload, waited for at once
            Assert.Equal(6, device.PinnedCount);                   // two slots: text, tables, ids each
            // Kernel time comes from the events around each launch (the fake's clock: 1 ms per launch).
            var totals = session.Totals;
            Assert.Equal(FakeCudaDriver.KernelSeconds, totals.KernelSeconds, 3);
            Assert.True(totals.CopySeconds > 0);
            // Events are pooled: a few per queued command, however many pieces and calls.
            int events = FakeCudaDriver.LiveEvents;
            Assert.Equal(events, device.EventCount);
            Run(session, docs);
            Assert.Equal(events, FakeCudaDriver.LiveEvents);
            Assert.InRange(events, 2, 200);
        }
        device.Dispose();
        AssertAllReleased();
    }

    [Fact]
    public void A_failing_launch_is_a_clear_error_with_the_drivers_message_and_nothing_is_left_queued()
    {
        var docs = GpuFixtures.MixedDocuments(3, 80, 20_000);
        CudaDevice device = CudaDevice.Open(FakeCudaDriver.Table());
        using (var session = new GpuSession(device) { PieceBytes = 1024 })
        {
            FakeCudaDriver.FailLaunchAt = 7;
            var e = Assert.Throws<GpuException>(() => Run(session, docs));
            Assert.Equal("CUDA: cuLaunchKernel (WalkChunks) failed (700: an illegal memory access was encountered)", e.Message);
            Assert.Equal(FakeCudaDriver.LiveEvents, device.EventCount);   // none lost on the error path
            FakeCudaDriver.FailLaunchAt = 0;
            var (_, ids, _) = Run(session, docs);
            Assert.True(Cpu(docs).Ids.SequenceEqual(ids));
        }
        device.Dispose();
        AssertAllReleased();
    }

    [Fact]
    public void The_driver_table_names_every_entry_point_the_loader_resolves()
    {
        // Load() resolves CudaDevice.Api.Exports by position into the fields: one name per field, in order.
        var fields = typeof(CudaDevice.Api).GetFields().Where(f => !f.IsStatic).ToArray();
        Assert.Equal(fields.Length, CudaDevice.Api.Exports.Length);
        Assert.Contains("cuMemcpyHtoDAsync_v2", CudaDevice.Api.Exports);
        Assert.Contains("cuStreamDestroy_v2", CudaDevice.Api.Exports);
        Assert.Contains("cuEventDestroy_v2", CudaDevice.Api.Exports);
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.Equal("cu" + fields[i].Name, CudaDevice.Api.Exports[i].Replace("_v2", ""));
        }
    }

    private static void AssertAllReleased()
    {
        Assert.Equal(0, FakeCudaDriver.LiveDeviceBuffers);
        Assert.Equal(0, FakeCudaDriver.LivePinned);
        Assert.Equal(0, FakeCudaDriver.LiveStreams);
        Assert.Equal(0, FakeCudaDriver.LiveEvents);
        Assert.Equal(0, FakeCudaDriver.LiveModules);
        Assert.Equal(0, FakeCudaDriver.ContextRetains);
    }
}
