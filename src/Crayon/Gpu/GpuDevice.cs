namespace Crayon.Gpu;

/// <summary>A device allocation: a cl_mem or a CUdeviceptr, and its size in bytes.</summary>
internal sealed class GpuBuffer(nint handle, long bytes)
{
    public nint Handle { get; } = handle;
    public long Bytes { get; } = bytes;
}

/// <summary>A kernel argument in ILGPU's terms: an ArrayView over the first Length elements of a buffer.</summary>
internal readonly record struct GpuView(GpuBuffer Buffer, long Length);

/// <summary>The kernels compiled by tools/Crayon.KernelCompiler (see LongestMatchKernels.cs there).</summary>
internal enum GpuKernel { WalkChunks, Compact }

/// <summary>A GPU error at run time (driver call failed, device lost, out of device memory).</summary>
internal sealed class GpuException(string message) : NotSupportedException(message);

/// <summary>
/// What the batch tokenizer needs from a GPU API: buffers, copies, and launching one of the embedded
/// kernels with ILGPU's parameter layout. Implemented over the OpenCL ICD and the CUDA driver API, both
/// loaded at run time. Not thread-safe: <see cref="GpuSession"/> holds <see cref="Lock"/> around each use.
///
/// Work goes to one of <see cref="QueueCount"/> in-order queues (CUDA streams, OpenCL command queues):
/// commands on one queue run in order, commands on different queues may run at the same time, so a
/// copy on one overlaps a kernel on the other. The *Async calls only enqueue: host memory they read or
/// write must stay untouched until <see cref="Synchronize"/> of that queue returns, and only host
/// memory from <see cref="AllocateHost"/> (page-locked) lets the copy engine run it asynchronously.
/// The device times every command with its own clock (events), so <see cref="KernelSeconds"/> and
/// <see cref="CopySeconds"/> stay true while commands overlap.
/// </summary>
internal abstract class GpuDevice : IDisposable
{
    /// <summary>Two queues: piece k computes on one while piece k+1 is copied in on the other.</summary>
    public const int QueueCount = 2;

    private long _liveBytes;
    private double _kernelSeconds, _copySeconds;

    /// <summary>"opencl", "rocm" or "cuda".</summary>
    public abstract string Backend { get; }
    /// <summary>Device name, memory and driver version, for reports and errors.</summary>
    public abstract string Description { get; }
    /// <summary>True for a real GPU (not an OpenCL CPU device such as PoCL).</summary>
    public abstract bool IsGpu { get; }
    public abstract long GlobalMemory { get; }
    /// <summary>The largest single allocation the device allows.</summary>
    public abstract long MaxAllocation { get; }

    /// <summary>Serialises all use of the device (queues and kernel arguments are shared).</summary>
    public object Lock { get; } = new();

    /// <summary>Bytes of device memory this process holds through this device right now.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Seconds of kernel execution by the device's clock, summed over commands finished by a Synchronize.</summary>
    public double KernelSeconds => _kernelSeconds;
    /// <summary>Seconds of host↔device copies by the device's clock, likewise.</summary>
    public double CopySeconds => _copySeconds;

    /// <summary>Called by implementations as they collect finished commands' timings.</summary>
    protected void AddTimings(double kernelSeconds, double copySeconds)
    {
        _kernelSeconds += kernelSeconds;
        _copySeconds += copySeconds;
    }

    public GpuBuffer Allocate(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        long size = Math.Max(bytes, 16);   // OpenCL refuses zero-sized buffers
        var b = new GpuBuffer(AllocateCore(size), size);
        Interlocked.Add(ref _liveBytes, size);
        return b;
    }

    public void Free(GpuBuffer? buffer)
    {
        if (buffer is null) return;
        FreeCore(buffer.Handle);
        Interlocked.Add(ref _liveBytes, -buffer.Bytes);
    }

    protected abstract nint AllocateCore(long bytes);
    protected abstract void FreeCore(nint handle);

    /// <summary>Enqueues a copy of bytes from host src to dst at byte offset dstOffset.</summary>
    public abstract unsafe void WriteAsync(int queue, GpuBuffer dst, long dstOffset, void* src, long bytes);
    /// <summary>Enqueues a copy of the first bytes of src to host dst.</summary>
    public abstract unsafe void ReadAsync(int queue, GpuBuffer src, void* dst, long bytes);
    /// <summary>Enqueues kernel over threads indices (ILGPU's implicitly grouped Index1D).</summary>
    public abstract void LaunchAsync(int queue, GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views);
    /// <summary>Waits until every command enqueued on queue has finished, and collects their timings.</summary>
    public abstract void Synchronize(int queue);

    /// <summary>Host memory the device copies from and to asynchronously at full speed (page-locked).</summary>
    public abstract unsafe void* AllocateHost(long bytes);
    public abstract unsafe void FreeHost(void* p);
    public abstract void Dispose();

    public unsafe void Write(GpuBuffer dst, void* src, long bytes) { WriteAsync(0, dst, 0, src, bytes); Synchronize(0); }
    public unsafe void Read(GpuBuffer src, void* dst, long bytes) { ReadAsync(0, src, dst, bytes); Synchronize(0); }
    public void Launch(GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views) { LaunchAsync(0, kernel, threads, views); Synchronize(0); }

    /// <summary>Checks a copy's range against its device buffer (the drivers would fault or corrupt silently).</summary>
    protected static void CheckRange(GpuBuffer b, long offset, long bytes)
    {
        if (offset < 0 || bytes < 0 || offset > b.Bytes - bytes)
            throw new ArgumentOutOfRangeException(nameof(bytes), $"{bytes} bytes at {offset} do not fit a {b.Bytes}-byte buffer");
    }

    protected static void CheckQueue(int queue)
    {
        if ((uint)queue >= QueueCount) throw new ArgumentOutOfRangeException(nameof(queue), $"queue {queue} (there are {QueueCount})");
    }

    protected static string Megabytes(long bytes) => $"{bytes / (1024 * 1024)} MiB";
}
