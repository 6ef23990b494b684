using System.Runtime.InteropServices;
using System.Text;

namespace Crayon.Gpu;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API (libcuda.so.1, loaded at run time; no toolkit needed):
/// the embedded PTX goes through cuModuleLoadData (the driver JIT-compiles it for the GPU at hand),
/// kernels through cuLaunchKernel with ILGPU's parameter layout (<see cref="PackParameters"/>).
/// Uses the device's primary context, made current on the calling thread before each operation.
/// Each queue is a non-blocking stream; copies are cuMemcpy*Async (truly asynchronous from the
/// page-locked memory of <see cref="AllocateHost"/>), and every command is bracketed by two (pooled)
/// events whose elapsed time, collected at <see cref="Synchronize"/>, is its device-side duration.
/// </summary>
internal sealed unsafe class CudaDevice : GpuDevice
{
    /// <summary>Threads per block: a multiple of the warp size that every architecture since sm_30 schedules fully.</summary>
    public const int BlockSize = 256;

    private const uint CU_STREAM_NON_BLOCKING = 1;   // no implicit sync with the legacy default stream

    private readonly Api _api;
    private readonly int _device;
    private readonly nint _context;
    private readonly nint[] _modules = new nint[2], _functions = new nint[2];
    private readonly nint[] _streams = new nint[QueueCount];
    /// <summary>Per queue: the (start, end) event pairs of enqueued commands not yet collected.</summary>
    private readonly List<(nint Start, nint End, bool Kernel)>[] _timed = [[], []];

    public override string Backend => "cuda";
    public override string Description { get; }
    public override bool IsGpu => true;
    public override long GlobalMemory { get; }
    public override long MaxAllocation => GlobalMemory;

    public static CudaDevice Open(int ordinal = 0) => Open(Api.Load(), ordinal);

    /// <summary>Opens device ordinal through api (the real driver's table, or a test's fake).</summary>
    internal static CudaDevice Open(Api api, int ordinal = 0)
    {
        Check(api, api.Init(0), "cuInit");
        int count = 0;
        Check(api, api.DeviceGetCount(&count), "cuDeviceGetCount");
        if (count <= ordinal) throw new GpuException($"CUDA: the driver reports {count} device(s)");
        return new CudaDevice(api, ordinal);
    }

    private CudaDevice(Api api, int ordinal)
    {
        _api = api;
        int dev;
        Check(api, api.DeviceGet(&dev, ordinal), "cuDeviceGet");
        _device = dev;
        byte* name = stackalloc byte[256];
        Check(api, api.DeviceGetName(name, 256, dev), "cuDeviceGetName");
        nuint mem = 0;
        Check(api, api.DeviceTotalMem(&mem, dev), "cuDeviceTotalMem");
        int driver = 0;
        api.DriverGetVersion(&driver);
        GlobalMemory = (long)mem;
        Description = $"{Marshal.PtrToStringUTF8((nint)name)}, {Megabytes(GlobalMemory)}, CUDA driver {driver / 1000}.{driver % 1000 / 10}";
        nint ctx;
        Check(api, api.DevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
        _context = ctx;
        try
        {
            MakeCurrent();
            foreach (GpuKernel k in Enum.GetValues<GpuKernel>()) LoadKernel(k);
            for (int q = 0; q < QueueCount; q++)
            {
                nint stream;
                Check(_api, _api.StreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
                _streams[q] = stream;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void LoadKernel(GpuKernel k)
    {
        byte[] ptx = Encoding.UTF8.GetBytes(GpuKernelText.Ptx(k) + "\0");
        nint module, function;
        fixed (byte* p = ptx) Check(_api, _api.ModuleLoadData(&module, p), $"cuModuleLoadData ({GpuKernelText.FileName(k)}.ptx)");
        _modules[(int)k] = module;
        byte[] name = Encoding.ASCII.GetBytes(GpuKernelText.EntryPoint(k) + "\0");
        fixed (byte* n = name) Check(_api, _api.ModuleGetFunction(&function, module, n), "cuModuleGetFunction");
        _functions[(int)k] = function;
    }

    private void MakeCurrent() => Check(_api, _api.CtxSetCurrent(_context), "cuCtxSetCurrent");

    protected override nint AllocateCore(long bytes)
    {
        MakeCurrent();
        ulong ptr;
        Check(_api, _api.MemAlloc(&ptr, (nuint)bytes), $"cuMemAlloc ({Megabytes(bytes)})");
        return (nint)ptr;
    }

    protected override void FreeCore(nint handle)
    {
        MakeCurrent();
        _api.MemFree((ulong)handle);
    }

    public override void WriteAsync(int queue, GpuBuffer dst, long dstOffset, void* src, long bytes)
    {
        CheckQueue(queue);
        CheckRange(dst, dstOffset, bytes);
        if (bytes == 0) return;
        MakeCurrent();
        nint start = BeginTimed(queue);
        int rc = _api.MemcpyHtoDAsync((ulong)dst.Handle + (ulong)dstOffset, src, (nuint)bytes, _streams[queue]);
        EndTimed(queue, start, kernel: false);
        Check(_api, rc, "cuMemcpyHtoDAsync");
    }

    public override void ReadAsync(int queue, GpuBuffer src, void* dst, long bytes)
    {
        CheckQueue(queue);
        CheckRange(src, 0, bytes);
        if (bytes == 0) return;
        MakeCurrent();
        nint start = BeginTimed(queue);
        int rc = _api.MemcpyDtoHAsync(dst, (ulong)src.Handle, (nuint)bytes, _streams[queue]);
        EndTimed(queue, start, kernel: false);
        Check(_api, rc, "cuMemcpyDtoHAsync");
    }

    public override void LaunchAsync(int queue, GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views)
    {
        CheckQueue(queue);
        if (views.Length != GpuKernelText.ViewCount(kernel)) throw new ArgumentException($"{kernel} takes {GpuKernelText.ViewCount(kernel)} views");
        if (threads <= 0) return;
        MakeCurrent();
        Span<PtxView> packed = stackalloc PtxView[views.Length];
        Span<nint> pointers = stackalloc nint[views.Length + 1];
        fixed (PtxView* pv = packed)
        fixed (nint* pp = pointers)
        {
            PackParameters(&threads, views, pv, pp);
            uint blocks = (uint)((threads + BlockSize - 1) / BlockSize);
            nint start = BeginTimed(queue);
            // cuLaunchKernel copies the parameter values before it returns: the stack may go.
            int rc = _api.LaunchKernel(_functions[(int)kernel], blocks, 1, 1, BlockSize, 1, 1, 0, _streams[queue], (void**)pp, null);
            EndTimed(queue, start, kernel: true);
            Check(_api, rc, $"cuLaunchKernel ({kernel})");
        }
    }

    public override void Synchronize(int queue)
    {
        CheckQueue(queue);
        MakeCurrent();
        try
        {
            Check(_api, _api.StreamSynchronize(_streams[queue]), "cuStreamSynchronize (a kernel or copy failed)");
            // Timings are a report, not a result: one the driver cannot give counts as zero.
            double kernel = 0, copy = 0;
            foreach (var (start, end, isKernel) in _timed[queue])
            {
                float ms = 0;
                if (_api.EventElapsedTime(&ms, start, end) != 0) continue;
                if (isKernel) kernel += ms / 1000.0; else copy += ms / 1000.0;
            }
            AddTimings(kernel, copy);
        }
        finally
        {
            RecycleEvents(queue);
        }
    }

    /// <summary>Events go back here once their stream has passed them: creating one costs far more than recording it.</summary>
    private readonly Stack<nint> _eventPool = new();

    private nint RecordEvent(int queue)
    {
        if (!_eventPool.TryPop(out nint ev))
        {
            nint created;
            Check(_api, _api.EventCreate(&created, 0), "cuEventCreate");
            ev = created;
        }
        int rc = _api.EventRecord(ev, _streams[queue]);
        if (rc != 0) { _eventPool.Push(ev); Check(_api, rc, "cuEventRecord"); }
        return ev;
    }

    private nint BeginTimed(int queue) => RecordEvent(queue);

    private void EndTimed(int queue, nint start, bool kernel)
    {
        nint end;
        try { end = RecordEvent(queue); }
        catch { _eventPool.Push(start); throw; }
        _timed[queue].Add((start, end, kernel));
    }

    private void RecycleEvents(int queue)
    {
        foreach (var (start, end, _) in _timed[queue]) { _eventPool.Push(start); _eventPool.Push(end); }
        _timed[queue].Clear();
    }

    /// <summary>CUDA events held now, pooled or in flight (tests: bounded, and none after Dispose).</summary>
    internal int EventCount => _eventPool.Count + 2 * (_timed[0].Count + _timed[1].Count);

    /// <summary>ILGPU's PTX view parameter: .param .align 8 .b8 [16] = { u64 device pointer, s64 length }.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 16)]
    internal struct PtxView
    {
        public ulong Pointer;
        public long Length;
    }

    /// <summary>
    /// cuLaunchKernel's kernelParams for an ILGPU entry: pointers[0] → the index range (.param .b32),
    /// pointers[1 + i] → views[i] packed as <see cref="PtxView"/> into packed[i].
    /// </summary>
    internal static void PackParameters(int* range, ReadOnlySpan<GpuView> views, PtxView* packed, nint* pointers)
    {
        pointers[0] = (nint)range;
        for (int i = 0; i < views.Length; i++)
        {
            if (views[i].Length < 0) throw new ArgumentOutOfRangeException(nameof(views), "negative view length");
            packed[i] = new PtxView { Pointer = (ulong)views[i].Buffer.Handle, Length = views[i].Length };
            pointers[1 + i] = (nint)(packed + i);
        }
    }

    /// <summary>Page-locked host memory (cuMemHostAlloc): the copy engine reads and writes it directly,
    /// so async copies run while the host works. If the driver cannot pin more, ordinary memory still
    /// works: copies from it are then staged by the driver and the host waits for them.</summary>
    public override void* AllocateHost(long bytes)
    {
        MakeCurrent();
        void* p;
        nuint size = (nuint)Math.Max(bytes, 64);
        if (_api.MemHostAlloc(&p, size, 0) != 0) return NativeMemory.AlignedAlloc(size, 64);
        _pinned.Add((nint)p);
        return p;
    }

    private readonly HashSet<nint> _pinned = [];

    /// <summary>Page-locked host buffers held now (tests: nothing leaks).</summary>
    internal int PinnedCount => _pinned.Count;

    public override void FreeHost(void* p)
    {
        if (p == null) return;
        if (_pinned.Remove((nint)p)) { MakeCurrent(); _api.MemFreeHost(p); }
        else NativeMemory.AlignedFree(p);
    }

    public override void Dispose()
    {
        try
        {
            MakeCurrent();
            for (int q = 0; q < QueueCount; q++)
            {
                if (_streams[q] == 0) continue;
                _api.StreamSynchronize(_streams[q]);
                RecycleEvents(q);
                _api.StreamDestroy(_streams[q]);
                _streams[q] = 0;
            }
            while (_eventPool.TryPop(out nint ev)) _api.EventDestroy(ev);
            for (int i = 0; i < _modules.Length; i++) if (_modules[i] != 0) { _api.ModuleUnload(_modules[i]); _modules[i] = 0; }
        }
        catch (GpuException) { /* the context is gone; nothing left to unload */ }
        if (_context != 0) _api.DevicePrimaryCtxRelease(_device);
    }

    private static void Check(Api api, int rc, string what)
    {
        if (rc == 0) return;
        string text = "";
        byte* s = null;
        if (api.GetErrorString != null && api.GetErrorString(rc, &s) == 0 && s != null) text = ": " + Marshal.PtrToStringUTF8((nint)s);
        throw new GpuException($"CUDA: {what} failed ({rc}{text})");
    }

    /// <summary>The driver API entry points (the _v2 ABI of CUDA ≥ 4), resolved once from libcuda.so.1.
    /// Tests fill one with fakes to check the launch and async call sequence without a GPU.</summary>
    internal sealed class Api
    {
        public delegate* unmanaged<uint, int> Init;
        public delegate* unmanaged<int*, int> DeviceGetCount;
        public delegate* unmanaged<int*, int, int> DeviceGet;
        public delegate* unmanaged<byte*, int, int, int> DeviceGetName;
        public delegate* unmanaged<nuint*, int, int> DeviceTotalMem;
        public delegate* unmanaged<int*, int> DriverGetVersion;
        public delegate* unmanaged<nint*, int, int> DevicePrimaryCtxRetain;
        public delegate* unmanaged<int, int> DevicePrimaryCtxRelease;
        public delegate* unmanaged<nint, int> CtxSetCurrent;
        public delegate* unmanaged<nint*, void*, int> ModuleLoadData;
        public delegate* unmanaged<nint, int> ModuleUnload;
        public delegate* unmanaged<nint*, nint, byte*, int> ModuleGetFunction;
        public delegate* unmanaged<ulong*, nuint, int> MemAlloc;
        public delegate* unmanaged<ulong, int> MemFree;
        public delegate* unmanaged<void**, nuint, uint, int> MemHostAlloc;
        public delegate* unmanaged<void*, int> MemFreeHost;
        public delegate* unmanaged<ulong, void*, nuint, nint, int> MemcpyHtoDAsync;
        public delegate* unmanaged<void*, ulong, nuint, nint, int> MemcpyDtoHAsync;
        public delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> LaunchKernel;
        public delegate* unmanaged<int, byte**, int> GetErrorString;
        public delegate* unmanaged<nint*, uint, int> StreamCreate;
        public delegate* unmanaged<nint, int> StreamSynchronize;
        public delegate* unmanaged<nint, int> StreamDestroy;
        public delegate* unmanaged<nint*, uint, int> EventCreate;
        public delegate* unmanaged<nint, nint, int> EventRecord;
        public delegate* unmanaged<float*, nint, nint, int> EventElapsedTime;
        public delegate* unmanaged<nint, int> EventDestroy;

        /// <summary>The export names, in field order; tests check them against the CUDA driver's ABI names.</summary>
        public static readonly string[] Exports =
        [
            "cuInit", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceTotalMem_v2", "cuDriverGetVersion",
            "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent",
            "cuModuleLoadData", "cuModuleUnload", "cuModuleGetFunction", "cuMemAlloc_v2", "cuMemFree_v2",
            "cuMemHostAlloc", "cuMemFreeHost", "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuLaunchKernel", "cuGetErrorString",
            "cuStreamCreate", "cuStreamSynchronize", "cuStreamDestroy_v2",
            "cuEventCreate", "cuEventRecord", "cuEventElapsedTime", "cuEventDestroy_v2",
        ];

        /// <summary>The library name; tests point it elsewhere to check the clean "absent" error.</summary>
        internal static string LibraryName = "libcuda.so.1";

        public static Api Load()
        {
            if (!NativeLibrary.TryLoad(LibraryName, out nint h))
                throw new GpuException($"{LibraryName} not found (no NVIDIA driver on this machine)");
            nint[] f = new nint[Exports.Length];
            for (int i = 0; i < Exports.Length; i++)
                if (!NativeLibrary.TryGetExport(h, Exports[i], out f[i]))
                    throw new GpuException($"{LibraryName} lacks {Exports[i]} (driver too old)");
            return new Api
            {
                Init = (delegate* unmanaged<uint, int>)f[0],
                DeviceGetCount = (delegate* unmanaged<int*, int>)f[1],
                DeviceGet = (delegate* unmanaged<int*, int, int>)f[2],
                DeviceGetName = (delegate* unmanaged<byte*, int, int, int>)f[3],
                DeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)f[4],
                DriverGetVersion = (delegate* unmanaged<int*, int>)f[5],
                DevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)f[6],
                DevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)f[7],
                CtxSetCurrent = (delegate* unmanaged<nint, int>)f[8],
                ModuleLoadData = (delegate* unmanaged<nint*, void*, int>)f[9],
                ModuleUnload = (delegate* unmanaged<nint, int>)f[10],
                ModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)f[11],
                MemAlloc = (delegate* unmanaged<ulong*, nuint, int>)f[12],
                MemFree = (delegate* unmanaged<ulong, int>)f[13],
                MemHostAlloc = (delegate* unmanaged<void**, nuint, uint, int>)f[14],
                MemFreeHost = (delegate* unmanaged<void*, int>)f[15],
                MemcpyHtoDAsync = (delegate* unmanaged<ulong, void*, nuint, nint, int>)f[16],
                MemcpyDtoHAsync = (delegate* unmanaged<void*, ulong, nuint, nint, int>)f[17],
                LaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)f[18],
                GetErrorString = (delegate* unmanaged<int, byte**, int>)f[19],
                StreamCreate = (delegate* unmanaged<nint*, uint, int>)f[20],
                StreamSynchronize = (delegate* unmanaged<nint, int>)f[21],
                StreamDestroy = (delegate* unmanaged<nint, int>)f[22],
                EventCreate = (delegate* unmanaged<nint*, uint, int>)f[23],
                EventRecord = (delegate* unmanaged<nint, nint, int>)f[24],
                EventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)f[25],
                EventDestroy = (delegate* unmanaged<nint, int>)f[26],
            };
        }
    }
}
