using System.Runtime.InteropServices;
using System.Text;

namespace Crayon.Gpu;

/// <summary>
/// A GPU through the OpenCL ICD loader (libOpenCL.so.1), loaded at run time: no link dependency, no
/// SDK. device "opencl" takes the first GPU of any platform, else the first device of any kind (PoCL's
/// CPU device on machines without a GPU); "rocm" takes a GPU of AMD's platform (ROCm's OpenCL).
/// The embedded OpenCL C (ILGPU's output, __global pointers only) is built for the chosen device.
/// Each queue is an in-order command queue with profiling on (a command's event gives its device-side
/// duration); copies are non-blocking, and host staging memory is a CL_MEM_ALLOC_HOST_PTR buffer kept
/// mapped, which GPU drivers back with page-locked memory so the copy engine runs beside the kernels.
/// Hand-written function pointers rather than Silk.NET.OpenCL: about twenty-five entry points, no
/// reflection, nothing for the NativeAOT trimmer to get wrong.
/// </summary>
internal sealed unsafe class OpenClDevice : GpuDevice
{
    private const int CL_SUCCESS = 0;
    private const ulong CL_DEVICE_TYPE_GPU = 1 << 2, CL_DEVICE_TYPE_ALL = 0xFFFFFFFF;
    private const uint CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    private const uint CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F,
                       CL_DEVICE_NAME = 0x102B, CL_DRIVER_VERSION = 0x102D, CL_DEVICE_VERSION = 0x102F;
    private const uint CL_PROGRAM_BUILD_LOG = 0x1183;
    private const ulong CL_MEM_READ_WRITE = 1 << 0, CL_MEM_ALLOC_HOST_PTR = 1 << 4;
    private const ulong CL_MAP_READ = 1 << 0, CL_MAP_WRITE = 1 << 1;
    private const ulong CL_QUEUE_PROFILING_ENABLE = 1 << 1;
    private const uint CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;

    private readonly Api _api;
    private readonly nint _context;
    private readonly nint[] _queues = new nint[QueueCount];
    /// <summary>Per queue: the events of enqueued commands not yet collected, and whether each is a kernel.</summary>
    private readonly List<(nint Event, bool Kernel)>[] _timed = [[], []];
    /// <summary>Mapped host staging buffers: pointer → the cl_mem behind it.</summary>
    private readonly Dictionary<nint, nint> _hostBuffers = [];
    private readonly nint[] _programs = new nint[2], _kernels = new nint[2];

    public override string Backend { get; }
    public override string Description { get; }
    public override bool IsGpu { get; }
    public override long GlobalMemory { get; }
    public override long MaxAllocation { get; }

    /// <summary>Opens the device for backend "opencl" or "rocm"; throws GpuException saying why not.</summary>
    public static OpenClDevice Open(string backend)
    {
        Api api = Api.Load();
        uint np = 0;
        Check(api.GetPlatformIDs(0, null, &np), "clGetPlatformIDs");
        if (np == 0) throw new GpuException("no OpenCL platform is installed (no ICD in /etc/OpenCL/vendors)");
        var platforms = new nint[np];
        fixed (nint* pp = platforms) Check(api.GetPlatformIDs(np, pp, null), "clGetPlatformIDs");

        nint chosen = 0, chosenPlatform = 0;
        bool chosenGpu = false;
        foreach (nint platform in platforms)
        {
            string vendor = PlatformString(api, platform, CL_PLATFORM_VENDOR) + " " + PlatformString(api, platform, CL_PLATFORM_NAME);
            bool amd = vendor.Contains("AMD", StringComparison.OrdinalIgnoreCase) || vendor.Contains("Advanced Micro Devices", StringComparison.OrdinalIgnoreCase);
            if (backend == "rocm" && !amd) continue;
            foreach (nint d in Devices(api, platform))
            {
                ulong type = 0;
                api.GetDeviceInfo(d, CL_DEVICE_TYPE, 8, &type, null);
                bool gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
                if (backend == "rocm" && !gpu) continue;
                if (chosen == 0 || (gpu && !chosenGpu)) { chosen = d; chosenPlatform = platform; chosenGpu = gpu; }
            }
        }
        if (chosen == 0)
            throw new GpuException(backend == "rocm" ? "no AMD GPU on an OpenCL platform (ROCm's OpenCL runtime is not installed or sees no device)"
                                                     : "no OpenCL device on any platform");
        return new OpenClDevice(api, backend, chosen, chosenGpu);
    }

    /// <summary>Whether any OpenCL platform has a GPU device (enumeration only; builds nothing). Asked once per process.</summary>
    public static bool HasGpu() => s_hasGpu.Value;

    private static readonly Lazy<bool> s_hasGpu = new(FindGpu, LazyThreadSafetyMode.ExecutionAndPublication);

    private static bool FindGpu()
    {
        Api api;
        try { api = Api.Load(); }
        catch (GpuException) { return false; }
        uint np = 0;
        if (api.GetPlatformIDs(0, null, &np) != CL_SUCCESS || np == 0) return false;
        var platforms = new nint[np];
        fixed (nint* pp = platforms) if (api.GetPlatformIDs(np, pp, null) != CL_SUCCESS) return false;
        foreach (nint platform in platforms)
            foreach (nint d in Devices(api, platform))
            {
                ulong type = 0;
                if (api.GetDeviceInfo(d, CL_DEVICE_TYPE, 8, &type, null) == CL_SUCCESS && (type & CL_DEVICE_TYPE_GPU) != 0) return true;
            }
        return false;
    }

    private OpenClDevice(Api api, string backend, nint device, bool gpu)
    {
        _api = api;
        Backend = backend;
        IsGpu = gpu;
        ulong mem = 0, maxAlloc = 0;
        api.GetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, 8, &mem, null);
        api.GetDeviceInfo(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 8, &maxAlloc, null);
        GlobalMemory = (long)Math.Min(mem, long.MaxValue);
        MaxAllocation = (long)Math.Min(maxAlloc, long.MaxValue);
        Description = $"{DeviceString(api, device, CL_DEVICE_NAME)}, {Megabytes(GlobalMemory)}, " +
                      $"{DeviceString(api, device, CL_DEVICE_VERSION)}, driver {DeviceString(api, device, CL_DRIVER_VERSION)}";
        int err;
        _context = api.CreateContext(null, 1, &device, null, null, &err);
        Check(err, "clCreateContext");
        try
        {
            for (int q = 0; q < QueueCount; q++)
            {
                _queues[q] = api.CreateCommandQueue(_context, device, CL_QUEUE_PROFILING_ENABLE, &err);
                Check(err, "clCreateCommandQueue");
            }
            foreach (GpuKernel k in Enum.GetValues<GpuKernel>()) Build(k, device);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Build(GpuKernel k, nint device)
    {
        byte[] source = Encoding.UTF8.GetBytes(GpuKernelText.OpenCl(k));
        int err;
        nint program;
        fixed (byte* s = source)
        {
            byte* strings = s;
            nuint length = (nuint)source.Length;
            program = _api.CreateProgramWithSource(_context, 1, &strings, &length, &err);
        }
        Check(err, "clCreateProgramWithSource");
        _programs[(int)k] = program;
        // -w: ILGPU's generated C has unused labels and variables; their warnings would go to stderr.
        fixed (byte* options = "-w\0"u8) err = _api.BuildProgram(program, 1, &device, options, null, null);
        if (err != CL_SUCCESS)
        {
            nuint size = 0;
            _api.GetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, &size);
            var log = new byte[(int)Math.Min(size, 1 << 20)];
            fixed (byte* l = log) _api.GetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, (nuint)log.Length, l, null);
            throw new GpuException($"OpenCL could not build kernel {GpuKernelText.FileName(k)} ({err}): {Encoding.UTF8.GetString(log).TrimEnd('\0').Trim()}");
        }
        byte[] name = Encoding.ASCII.GetBytes(GpuKernelText.EntryPoint(k) + "\0");
        fixed (byte* nm = name) _kernels[(int)k] = _api.CreateKernel(program, nm, &err);
        Check(err, "clCreateKernel");
    }

    protected override nint AllocateCore(long bytes)
    {
        int err;
        nint mem = _api.CreateBuffer(_context, CL_MEM_READ_WRITE, (nuint)bytes, null, &err);
        Check(err, $"clCreateBuffer ({Megabytes(bytes)})");
        return mem;
    }

    protected override void FreeCore(nint handle) => _api.ReleaseMemObject(handle);

    public override void WriteAsync(int queue, GpuBuffer dst, long dstOffset, void* src, long bytes)
    {
        CheckQueue(queue);
        CheckRange(dst, dstOffset, bytes);
        if (bytes == 0) return;
        nint ev;
        Check(_api.EnqueueWriteBuffer(_queues[queue], dst.Handle, 0, (nuint)dstOffset, (nuint)bytes, src, 0, null, &ev), "clEnqueueWriteBuffer");
        _timed[queue].Add((ev, false));
    }

    public override void ReadAsync(int queue, GpuBuffer src, void* dst, long bytes)
    {
        CheckQueue(queue);
        CheckRange(src, 0, bytes);
        if (bytes == 0) return;
        nint ev;
        Check(_api.EnqueueReadBuffer(_queues[queue], src.Handle, 0, 0, (nuint)bytes, dst, 0, null, &ev), "clEnqueueReadBuffer");
        _timed[queue].Add((ev, false));
    }

    public override void Synchronize(int queue)
    {
        CheckQueue(queue);
        try
        {
            Check(_api.Finish(_queues[queue]), "clFinish (a kernel or copy failed)");
            // Timings are a report, not a result: one the driver cannot give counts as zero.
            double kernel = 0, copy = 0;
            foreach (var (ev, isKernel) in _timed[queue])
            {
                ulong start = 0, end = 0;
                if (_api.GetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, 8, &start, null) != CL_SUCCESS ||
                    _api.GetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, 8, &end, null) != CL_SUCCESS) continue;
                double seconds = end > start ? (end - start) / 1e9 : 0;
                if (isKernel) kernel += seconds; else copy += seconds;
            }
            AddTimings(kernel, copy);
        }
        finally
        {
            ReleaseEvents(queue);
        }
    }

    private void ReleaseEvents(int queue)
    {
        foreach (var (ev, _) in _timed[queue]) _api.ReleaseEvent(ev);
        _timed[queue].Clear();
    }

    /// <summary>
    /// ILGPU's OpenCL entry: the views' buffers first (global T* view_i), then the index range (int),
    /// then per view a struct { int index; long length } (16 bytes: 8-byte aligned long).
    /// </summary>
    public override void LaunchAsync(int queue, GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views)
    {
        CheckQueue(queue);
        if (views.Length != GpuKernelText.ViewCount(kernel)) throw new ArgumentException($"{kernel} takes {GpuKernelText.ViewCount(kernel)} views");
        if (threads <= 0) return;
        nint k = _kernels[(int)kernel];
        uint arg = 0;
        foreach (GpuView v in views)
        {
            nint mem = v.Buffer.Handle;
            Check(_api.SetKernelArg(k, arg++, (nuint)sizeof(nint), &mem), "clSetKernelArg");
        }
        Check(_api.SetKernelArg(k, arg++, 4, &threads), "clSetKernelArg");
        foreach (GpuView v in views)
        {
            ViewParameter p = ViewParameter.For(v);
            Check(_api.SetKernelArg(k, arg++, (nuint)sizeof(ViewParameter), &p), "clSetKernelArg");
        }
        nuint global = (nuint)threads;
        nint ev;
        // The arguments are captured at enqueue: the next launch may set them again at once.
        Check(_api.EnqueueNDRangeKernel(_queues[queue], k, 1, null, &global, null, 0, null, &ev), $"clEnqueueNDRangeKernel ({kernel})");
        _timed[queue].Add((ev, true));
    }

    /// <summary>ILGPU's OpenCL view descriptor: element index into the buffer, then the length.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ViewParameter
    {
        public int Index;
        public long Length;

        public static ViewParameter For(GpuView v)
        {
            if (v.Length < 0 || v.Length > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(v), "a view holds at most 2^31 - 1 elements");
            return new ViewParameter { Index = 0, Length = v.Length };
        }
    }

    /// <summary>A CL_MEM_ALLOC_HOST_PTR buffer mapped for the host once, until <see cref="FreeHost"/>: the
    /// portable way to get page-locked memory in OpenCL 1.2 (what NVIDIA's and AMD's drivers pin).</summary>
    public override void* AllocateHost(long bytes)
    {
        nuint size = (nuint)Math.Max(bytes, 64);
        int err;
        nint mem = _api.CreateBuffer(_context, CL_MEM_READ_WRITE | CL_MEM_ALLOC_HOST_PTR, size, null, &err);
        Check(err, $"clCreateBuffer (host, {Megabytes((long)size)})");
        void* p = _api.EnqueueMapBuffer(_queues[0], mem, 1, CL_MAP_READ | CL_MAP_WRITE, 0, size, 0, null, null, &err);
        if (err != CL_SUCCESS || p == null)
        {
            _api.ReleaseMemObject(mem);
            Check(err != CL_SUCCESS ? err : -5, "clEnqueueMapBuffer");
        }
        _hostBuffers.Add((nint)p, mem);
        return p;
    }

    public override void FreeHost(void* p)
    {
        if (p == null || !_hostBuffers.Remove((nint)p, out nint mem)) return;
        _api.EnqueueUnmapMemObject(_queues[0], mem, p, 0, null, null);
        _api.Finish(_queues[0]);
        _api.ReleaseMemObject(mem);
    }

    /// <summary>Mapped host staging buffers held now (tests: nothing leaks).</summary>
    internal int HostBufferCount => _hostBuffers.Count;

    public override void Dispose()
    {
        for (int q = 0; q < QueueCount; q++)
        {
            if (_queues[q] == 0) continue;
            _api.Finish(_queues[q]);
            ReleaseEvents(q);
        }
        foreach (nint p in new List<nint>(_hostBuffers.Keys)) FreeHost((void*)p);
        for (int i = 0; i < _kernels.Length; i++) if (_kernels[i] != 0) { _api.ReleaseKernel(_kernels[i]); _kernels[i] = 0; }
        for (int i = 0; i < _programs.Length; i++) if (_programs[i] != 0) { _api.ReleaseProgram(_programs[i]); _programs[i] = 0; }
        for (int q = 0; q < QueueCount; q++) if (_queues[q] != 0) { _api.ReleaseCommandQueue(_queues[q]); _queues[q] = 0; }
        if (_context != 0) _api.ReleaseContext(_context);
    }

    private static void Check(int err, string what)
    {
        if (err != CL_SUCCESS) throw new GpuException($"OpenCL: {what} failed ({err})");
    }

    private static nint[] Devices(Api api, nint platform)
    {
        uint n = 0;
        if (api.GetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, null, &n) != CL_SUCCESS || n == 0) return [];
        var ds = new nint[n];
        fixed (nint* p = ds) if (api.GetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, n, p, null) != CL_SUCCESS) return [];
        return ds;
    }

    private static string PlatformString(Api api, nint platform, uint param)
    {
        byte* buf = stackalloc byte[512];
        nuint size = 0;
        if (api.GetPlatformInfo(platform, param, 512, buf, &size) != CL_SUCCESS) return "";
        return Encoding.UTF8.GetString(buf, (int)Math.Min(size, 512)).TrimEnd('\0').Trim();
    }

    private static string DeviceString(Api api, nint device, uint param)
    {
        byte* buf = stackalloc byte[512];
        nuint size = 0;
        if (api.GetDeviceInfo(device, param, 512, buf, &size) != CL_SUCCESS) return "?";
        return Encoding.UTF8.GetString(buf, (int)Math.Min(size, 512)).TrimEnd('\0').Trim();
    }

    /// <summary>The OpenCL 1.2 entry points, resolved once from libOpenCL.so.1.</summary>
    private sealed class Api
    {
        public delegate* unmanaged<uint, nint*, uint*, int> GetPlatformIDs;
        public delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetPlatformInfo;
        public delegate* unmanaged<nint, ulong, uint, nint*, uint*, int> GetDeviceIDs;
        public delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetDeviceInfo;
        public delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint> CreateContext;
        public delegate* unmanaged<nint, nint, ulong, int*, nint> CreateCommandQueue;
        public delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint> CreateProgramWithSource;
        public delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int> BuildProgram;
        public delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int> GetProgramBuildInfo;
        public delegate* unmanaged<nint, byte*, int*, nint> CreateKernel;
        public delegate* unmanaged<nint, uint, nuint, void*, int> SetKernelArg;
        public delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int> EnqueueNDRangeKernel;
        public delegate* unmanaged<nint, ulong, nuint, void*, int*, nint> CreateBuffer;
        public delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueWriteBuffer;
        public delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int> EnqueueReadBuffer;
        public delegate* unmanaged<nint, int> Finish;
        public delegate* unmanaged<nint, int> ReleaseMemObject;
        public delegate* unmanaged<nint, int> ReleaseKernel;
        public delegate* unmanaged<nint, int> ReleaseProgram;
        public delegate* unmanaged<nint, int> ReleaseCommandQueue;
        public delegate* unmanaged<nint, int> ReleaseContext;
        public delegate* unmanaged<nint, nint, uint, ulong, nuint, nuint, uint, nint*, nint*, int*, void*> EnqueueMapBuffer;
        public delegate* unmanaged<nint, nint, void*, uint, nint*, nint*, int> EnqueueUnmapMemObject;
        public delegate* unmanaged<nint, uint, nuint, void*, nuint*, int> GetEventProfilingInfo;
        public delegate* unmanaged<nint, int> ReleaseEvent;

        private static readonly Lazy<Api?> s_api = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);
        private static string s_why = "";

        public static Api Load() => s_api.Value ?? throw new GpuException(s_why);

        private static Api? TryLoad()
        {
            const string lib = "libOpenCL.so.1";
            if (!NativeLibrary.TryLoad(lib, out nint h) && !NativeLibrary.TryLoad("libOpenCL.so", out h))
            {
                s_why = $"{lib} not found (install an OpenCL ICD loader and a driver, e.g. ocl-icd-libopencl1 + pocl-opencl-icd)";
                return null;
            }
            var a = new Api();
            string? missing = null;
            nint F(string name)
            {
                if (NativeLibrary.TryGetExport(h, name, out nint f)) return f;
                missing ??= name;
                return 0;
            }
            a.GetPlatformIDs = (delegate* unmanaged<uint, nint*, uint*, int>)F("clGetPlatformIDs");
            a.GetPlatformInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetPlatformInfo");
            a.GetDeviceIDs = (delegate* unmanaged<nint, ulong, uint, nint*, uint*, int>)F("clGetDeviceIDs");
            a.GetDeviceInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetDeviceInfo");
            a.CreateContext = (delegate* unmanaged<nint*, uint, nint*, void*, void*, int*, nint>)F("clCreateContext");
            a.CreateCommandQueue = (delegate* unmanaged<nint, nint, ulong, int*, nint>)F("clCreateCommandQueue");
            a.CreateProgramWithSource = (delegate* unmanaged<nint, uint, byte**, nuint*, int*, nint>)F("clCreateProgramWithSource");
            a.BuildProgram = (delegate* unmanaged<nint, uint, nint*, byte*, void*, void*, int>)F("clBuildProgram");
            a.GetProgramBuildInfo = (delegate* unmanaged<nint, nint, uint, nuint, void*, nuint*, int>)F("clGetProgramBuildInfo");
            a.CreateKernel = (delegate* unmanaged<nint, byte*, int*, nint>)F("clCreateKernel");
            a.SetKernelArg = (delegate* unmanaged<nint, uint, nuint, void*, int>)F("clSetKernelArg");
            a.EnqueueNDRangeKernel = (delegate* unmanaged<nint, nint, uint, nuint*, nuint*, nuint*, uint, nint*, nint*, int>)F("clEnqueueNDRangeKernel");
            a.CreateBuffer = (delegate* unmanaged<nint, ulong, nuint, void*, int*, nint>)F("clCreateBuffer");
            a.EnqueueWriteBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)F("clEnqueueWriteBuffer");
            a.EnqueueReadBuffer = (delegate* unmanaged<nint, nint, uint, nuint, nuint, void*, uint, nint*, nint*, int>)F("clEnqueueReadBuffer");
            a.Finish = (delegate* unmanaged<nint, int>)F("clFinish");
            a.ReleaseMemObject = (delegate* unmanaged<nint, int>)F("clReleaseMemObject");
            a.ReleaseKernel = (delegate* unmanaged<nint, int>)F("clReleaseKernel");
            a.ReleaseProgram = (delegate* unmanaged<nint, int>)F("clReleaseProgram");
            a.ReleaseCommandQueue = (delegate* unmanaged<nint, int>)F("clReleaseCommandQueue");
            a.ReleaseContext = (delegate* unmanaged<nint, int>)F("clReleaseContext");
            a.EnqueueMapBuffer = (delegate* unmanaged<nint, nint, uint, ulong, nuint, nuint, uint, nint*, nint*, int*, void*>)F("clEnqueueMapBuffer");
            a.EnqueueUnmapMemObject = (delegate* unmanaged<nint, nint, void*, uint, nint*, nint*, int>)F("clEnqueueUnmapMemObject");
            a.GetEventProfilingInfo = (delegate* unmanaged<nint, uint, nuint, void*, nuint*, int>)F("clGetEventProfilingInfo");
            a.ReleaseEvent = (delegate* unmanaged<nint, int>)F("clReleaseEvent");
            if (missing is not null) { s_why = $"{lib} lacks {missing}"; return null; }
            return a;
        }
    }
}
