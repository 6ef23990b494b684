using System.Runtime.InteropServices;
using System.Text;

namespace Crayon.Gpu;

/// <summary>
/// An NVIDIA GPU through the CUDA driver API (libcuda.so.1, loaded at run time; no toolkit needed):
/// the embedded PTX goes through cuModuleLoadData (the driver JIT-compiles it for the GPU at hand),
/// kernels through cuLaunchKernel with ILGPU's parameter layout (<see cref="PackParameters"/>).
/// Uses the device's primary context, made current on the calling thread before each operation.
/// </summary>
internal sealed unsafe class CudaDevice : GpuDevice
{
    /// <summary>Threads per block: a multiple of the warp size that every architecture since sm_30 schedules fully.</summary>
    public const int BlockSize = 256;

    private readonly Api _api;
    private readonly int _device;
    private readonly nint _context;
    private readonly nint[] _modules = new nint[2], _functions = new nint[2];

    public override string Backend => "cuda";
    public override string Description { get; }
    public override bool IsGpu => true;
    public override long GlobalMemory { get; }
    public override long MaxAllocation => GlobalMemory;

    public static CudaDevice Open(int ordinal = 0)
    {
        Api api = Api.Load();
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

    public override void Write(GpuBuffer dst, void* src, long bytes)
    {
        if (bytes == 0) return;
        if (bytes < 0 || bytes > dst.Bytes) throw new ArgumentOutOfRangeException(nameof(bytes));
        MakeCurrent();
        Check(_api, _api.MemcpyHtoD((ulong)dst.Handle, src, (nuint)bytes), "cuMemcpyHtoD");
    }

    public override void Read(GpuBuffer src, void* dst, long bytes)
    {
        if (bytes == 0) return;
        if (bytes < 0 || bytes > src.Bytes) throw new ArgumentOutOfRangeException(nameof(bytes));
        MakeCurrent();
        Check(_api, _api.MemcpyDtoH(dst, (ulong)src.Handle, (nuint)bytes), "cuMemcpyDtoH");
    }

    public override void Launch(GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views)
    {
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
            Check(_api, _api.LaunchKernel(_functions[(int)kernel], blocks, 1, 1, BlockSize, 1, 1, 0, 0, (void**)pp, null), $"cuLaunchKernel ({kernel})");
            Check(_api, _api.CtxSynchronize(), $"cuCtxSynchronize ({kernel})");
        }
    }

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

    public override void* AllocateHost(long bytes)
    {
        MakeCurrent();
        void* p;
        // Page-locked: the DMA engine copies from it directly, at full link speed.
        if (_api.MemAllocHost(&p, (nuint)Math.Max(bytes, 64)) != 0) return NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        _pinned.Add((nint)p);
        return p;
    }

    private readonly HashSet<nint> _pinned = [];

    public override void FreeHost(void* p)
    {
        if (_pinned.Remove((nint)p)) { MakeCurrent(); _api.MemFreeHost(p); }
        else NativeMemory.AlignedFree(p);
    }

    public override void Dispose()
    {
        try
        {
            MakeCurrent();
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

    /// <summary>The driver API entry points (the _v2 ABI of CUDA ≥ 4), resolved once from libcuda.so.1.</summary>
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
        public delegate* unmanaged<int> CtxSynchronize;
        public delegate* unmanaged<nint*, void*, int> ModuleLoadData;
        public delegate* unmanaged<nint, int> ModuleUnload;
        public delegate* unmanaged<nint*, nint, byte*, int> ModuleGetFunction;
        public delegate* unmanaged<ulong*, nuint, int> MemAlloc;
        public delegate* unmanaged<ulong, int> MemFree;
        public delegate* unmanaged<void**, nuint, int> MemAllocHost;
        public delegate* unmanaged<void*, int> MemFreeHost;
        public delegate* unmanaged<ulong, void*, nuint, int> MemcpyHtoD;
        public delegate* unmanaged<void*, ulong, nuint, int> MemcpyDtoH;
        public delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> LaunchKernel;
        public delegate* unmanaged<int, byte**, int> GetErrorString;

        /// <summary>The export names, in field order; tests check them against the CUDA driver's ABI names.</summary>
        public static readonly string[] Exports =
        [
            "cuInit", "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceTotalMem_v2", "cuDriverGetVersion",
            "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuCtxSynchronize",
            "cuModuleLoadData", "cuModuleUnload", "cuModuleGetFunction", "cuMemAlloc_v2", "cuMemFree_v2",
            "cuMemAllocHost_v2", "cuMemFreeHost", "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuLaunchKernel", "cuGetErrorString",
        ];

        /// <summary>The library name; tests point it elsewhere to check the clean "absent" error.</summary>
        internal static string LibraryName = "libcuda.so.1";

        public static Api Load()
        {
            if (!NativeLibrary.TryLoad(LibraryName, out nint h))
                throw new GpuException($"{LibraryName} not found (no NVIDIA driver on this machine)");
            var a = new Api();
            nint[] f = new nint[Exports.Length];
            for (int i = 0; i < Exports.Length; i++)
                if (!NativeLibrary.TryGetExport(h, Exports[i], out f[i]))
                    throw new GpuException($"{LibraryName} lacks {Exports[i]} (driver too old)");
            a.Init = (delegate* unmanaged<uint, int>)f[0];
            a.DeviceGetCount = (delegate* unmanaged<int*, int>)f[1];
            a.DeviceGet = (delegate* unmanaged<int*, int, int>)f[2];
            a.DeviceGetName = (delegate* unmanaged<byte*, int, int, int>)f[3];
            a.DeviceTotalMem = (delegate* unmanaged<nuint*, int, int>)f[4];
            a.DriverGetVersion = (delegate* unmanaged<int*, int>)f[5];
            a.DevicePrimaryCtxRetain = (delegate* unmanaged<nint*, int, int>)f[6];
            a.DevicePrimaryCtxRelease = (delegate* unmanaged<int, int>)f[7];
            a.CtxSetCurrent = (delegate* unmanaged<nint, int>)f[8];
            a.CtxSynchronize = (delegate* unmanaged<int>)f[9];
            a.ModuleLoadData = (delegate* unmanaged<nint*, void*, int>)f[10];
            a.ModuleUnload = (delegate* unmanaged<nint, int>)f[11];
            a.ModuleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)f[12];
            a.MemAlloc = (delegate* unmanaged<ulong*, nuint, int>)f[13];
            a.MemFree = (delegate* unmanaged<ulong, int>)f[14];
            a.MemAllocHost = (delegate* unmanaged<void**, nuint, int>)f[15];
            a.MemFreeHost = (delegate* unmanaged<void*, int>)f[16];
            a.MemcpyHtoD = (delegate* unmanaged<ulong, void*, nuint, int>)f[17];
            a.MemcpyDtoH = (delegate* unmanaged<void*, ulong, nuint, int>)f[18];
            a.LaunchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)f[19];
            a.GetErrorString = (delegate* unmanaged<int, byte**, int>)f[20];
            return a;
        }
    }
}
