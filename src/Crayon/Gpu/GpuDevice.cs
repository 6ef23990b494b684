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
/// </summary>
internal abstract class GpuDevice : IDisposable
{
    private long _liveBytes;

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
    public abstract unsafe void Write(GpuBuffer dst, void* src, long bytes);
    public abstract unsafe void Read(GpuBuffer src, void* dst, long bytes);
    /// <summary>Runs kernel over threads indices (ILGPU's implicitly grouped Index1D) and waits for it.</summary>
    public abstract void Launch(GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views);
    /// <summary>Host memory the device copies from at full speed (page-locked where the API has it).</summary>
    public abstract unsafe void* AllocateHost(long bytes);
    public abstract unsafe void FreeHost(void* p);
    public abstract void Dispose();

    protected static string Megabytes(long bytes) => $"{bytes / (1024 * 1024)} MiB";
}
