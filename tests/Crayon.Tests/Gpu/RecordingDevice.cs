using Crayon.Gpu;

namespace Crayon.Tests.Gpu;

/// <summary>
/// A GpuDevice that forwards to a real one and watches how the session uses it: which queues hold
/// unfinished work when a command is enqueued (overlap), whether async copies touch only page-locked
/// host memory from AllocateHost, what is still allocated, and, on request, fails the Nth launch the
/// way a lost device would.
/// </summary>
internal sealed unsafe class RecordingDevice(GpuDevice inner) : GpuDevice
{
    private readonly Dictionary<nint, GpuBuffer> _buffers = [];
    private readonly Dictionary<nint, long> _host = [];
    private readonly bool[] _walkPending = new bool[QueueCount], _readOutPending = new bool[QueueCount], _pending = new bool[QueueCount];
    private readonly List<(nint Host, long Bytes)>[] _pageableCopies = [[], []];
    private int _launches;

    /// <summary>Uploads enqueued while the other queue had an unfinished WalkChunks.</summary>
    public int UploadsBesideWalk { get; private set; }
    /// <summary>Read-outs waited for (Synchronize) while the other queue had an unfinished WalkChunks.</summary>
    public int ReadOutsBesideWalk { get; private set; }
    public int Launches => _launches;
    /// <summary>Async copies from pageable memory that were not waited for before the next command.</summary>
    public int UnwaitedPageableCopies { get; private set; }
    /// <summary>Launches after which the device "fails" (0: never).</summary>
    public int FailAtLaunch { get; set; }
    public int HostBlocks => _host.Count;
    public bool Idle => !_pending[0] && !_pending[1];

    public override string Backend => inner.Backend;
    public override string Description => inner.Description;
    public override bool IsGpu => inner.IsGpu;
    public override long GlobalMemory => inner.GlobalMemory;
    public override long MaxAllocation => inner.MaxAllocation;

    protected override nint AllocateCore(long bytes)
    {
        GpuBuffer b = inner.Allocate(bytes);
        _buffers.Add(b.Handle, b);
        return b.Handle;
    }

    protected override void FreeCore(nint handle)
    {
        inner.Free(_buffers[handle]);
        _buffers.Remove(handle);
    }

    private GpuBuffer Inner(GpuBuffer b) => _buffers[b.Handle];

    private void BeforeCommand(int queue)
    {
        // A pageable async copy still unfinished when more work is queued would let the host touch its memory too early.
        UnwaitedPageableCopies += _pageableCopies[0].Count + _pageableCopies[1].Count;
        _pageableCopies[0].Clear(); _pageableCopies[1].Clear();
        _pending[queue] = true;
    }

    private void NoteCopy(int queue, void* host, long bytes)
    {
        if (!IsPageLocked((nint)host, bytes)) _pageableCopies[queue].Add(((nint)host, bytes));
    }

    private bool IsPageLocked(nint p, long bytes)
    {
        foreach (var (start, size) in _host)
            if (p >= start && p + (nint)bytes <= start + (nint)size) return true;
        return false;
    }

    public override void WriteAsync(int queue, GpuBuffer dst, long dstOffset, void* src, long bytes)
    {
        BeforeCommand(queue);
        if (_walkPending[1 - queue]) UploadsBesideWalk++;
        inner.WriteAsync(queue, Inner(dst), dstOffset, src, bytes);
        NoteCopy(queue, src, bytes);
    }

    public override void ReadAsync(int queue, GpuBuffer src, void* dst, long bytes)
    {
        BeforeCommand(queue);
        _readOutPending[queue] = true;
        inner.ReadAsync(queue, Inner(src), dst, bytes);
        NoteCopy(queue, dst, bytes);
    }

    public override void LaunchAsync(int queue, GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views)
    {
        BeforeCommand(queue);
        if (FailAtLaunch > 0 && ++_launches >= FailAtLaunch) throw new GpuException("test: device lost");
        if (FailAtLaunch == 0) _launches++;
        var mapped = new GpuView[views.Length];
        for (int i = 0; i < views.Length; i++) mapped[i] = new(Inner(views[i].Buffer), views[i].Length);
        inner.LaunchAsync(queue, kernel, threads, mapped);
        if (kernel == GpuKernel.WalkChunks) _walkPending[queue] = true;
    }

    public override void Synchronize(int queue)
    {
        if (_readOutPending[queue] && _walkPending[1 - queue]) ReadOutsBesideWalk++;
        inner.Synchronize(queue);
        _pending[queue] = _walkPending[queue] = _readOutPending[queue] = false;
        _pageableCopies[queue].Clear();   // waited for: the host may use that memory now
    }

    public override void* AllocateHost(long bytes)
    {
        void* p = inner.AllocateHost(bytes);
        _host.Add((nint)p, bytes);
        return p;
    }

    public override void FreeHost(void* p)
    {
        _host.Remove((nint)p);
        inner.FreeHost(p);
    }

    public override void Dispose() { }
}
