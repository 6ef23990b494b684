using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Crayon.Gpu;

namespace Crayon.Tests.Gpu;

/// <summary>
/// A CUDA driver table (CudaDevice.Api) backed by host memory, for running the CUDA host path without
/// a GPU. Streams are honest about asynchrony: every copy, kernel and event record is queued and only
/// runs at cuStreamSynchronize, so a host that touches staging memory or reads results before waiting
/// gets wrong ids. Kernels are executed by a plain C# model of the kernels' contract (see
/// LongestMatchKernels in tools/Crayon.KernelCompiler), from parameters decoded exactly as the PTX
/// declares them (an int range, then 16-byte {pointer, length} views). Device memory starts as garbage.
/// It counts what the session leaves allocated and how the work was spread over the streams.
/// One fake at a time (static state): the tests using it run in one non-parallel collection.
/// </summary>
internal static unsafe class FakeCudaDriver
{
    public const int ErrorIllegalAddress = 700, ErrorNotReady = 600, ErrorInvalidHandle = 400;
    public const nint Context = 0xC0, WalkFunction = 0xF1, CompactFunction = 0xF2;

    private sealed class Stream
    {
        public readonly List<Action> Queue = [];
        public double Clock;   // seconds of simulated device time on this stream
        public bool HasWalk, HasReadOut;
    }

    private static readonly Dictionary<nint, Stream> s_streams = [];
    private static readonly Dictionary<ulong, long> s_device = [];
    private static readonly Dictionary<nint, long> s_pinned = [];
    private static readonly Dictionary<nint, double?> s_events = [];
    private static readonly HashSet<nint> s_modules = [];
    private static nint s_nextHandle = 0x1000;

    /// <summary>Uploads enqueued while the other stream had an unfinished WalkChunks; read-outs waited for while it had one.</summary>
    public static int UploadsBesideWalk, ReadOutsBesideWalk;
    public static int ContextRetains, Launches, PageableAsyncCopies, FailLaunchAt;
    public static uint StreamFlags;
    public static double KernelSeconds;

    public static int LiveDeviceBuffers => s_device.Count;
    public static int LivePinned => s_pinned.Count;
    public static int LiveStreams => s_streams.Count;
    public static int LiveEvents => s_events.Count;
    public static int LiveModules => s_modules.Count;

    public static void Reset()
    {
        foreach (ulong p in s_device.Keys) NativeMemory.Free((void*)p);
        foreach (nint p in s_pinned.Keys) NativeMemory.Free((void*)p);
        s_device.Clear(); s_pinned.Clear(); s_streams.Clear(); s_events.Clear(); s_modules.Clear();
        ContextRetains = Launches = PageableAsyncCopies = FailLaunchAt = UploadsBesideWalk = ReadOutsBesideWalk = 0;
        StreamFlags = 0;
        KernelSeconds = 0;
    }

    public static CudaDevice.Api Table() => new()
    {
        Init = &Init, DeviceGetCount = &DeviceGetCount, DeviceGet = &DeviceGet, DeviceGetName = &DeviceGetName,
        DeviceTotalMem = &DeviceTotalMem, DriverGetVersion = &DriverGetVersion, DevicePrimaryCtxRetain = &PrimaryCtxRetain,
        DevicePrimaryCtxRelease = &PrimaryCtxRelease, CtxSetCurrent = &CtxSetCurrent, ModuleLoadData = &ModuleLoadData,
        ModuleUnload = &ModuleUnload, ModuleGetFunction = &ModuleGetFunction, MemAlloc = &MemAlloc, MemFree = &MemFree,
        MemHostAlloc = &MemHostAlloc, MemFreeHost = &MemFreeHost, MemcpyHtoDAsync = &MemcpyHtoDAsync, MemcpyDtoHAsync = &MemcpyDtoHAsync,
        LaunchKernel = &LaunchKernel, GetErrorString = &GetErrorString, StreamCreate = &StreamCreate, StreamSynchronize = &StreamSynchronize,
        StreamDestroy = &StreamDestroy, EventCreate = &EventCreate, EventRecord = &EventRecord, EventElapsedTime = &EventElapsedTime,
        EventDestroy = &EventDestroy,
    };

    [UnmanagedCallersOnly] private static int Init(uint flags) => 0;
    [UnmanagedCallersOnly] private static int DeviceGetCount(int* n) { *n = 1; return 0; }
    [UnmanagedCallersOnly] private static int DeviceGet(int* d, int ordinal) { *d = ordinal; return 0; }
    [UnmanagedCallersOnly]
    private static int DeviceGetName(byte* name, int length, int device)
    {
        ReadOnlySpan<byte> n = "Fake GPU\0"u8;
        n.CopyTo(new Span<byte>(name, length));
        return 0;
    }
    [UnmanagedCallersOnly] private static int DeviceTotalMem(nuint* bytes, int device) { *bytes = 1u << 30; return 0; }
    [UnmanagedCallersOnly] private static int DriverGetVersion(int* v) { *v = 12040; return 0; }
    [UnmanagedCallersOnly] private static int PrimaryCtxRetain(nint* ctx, int device) { *ctx = Context; ContextRetains++; return 0; }
    [UnmanagedCallersOnly] private static int PrimaryCtxRelease(int device) { ContextRetains--; return 0; }
    [UnmanagedCallersOnly] private static int CtxSetCurrent(nint ctx) => ctx == Context ? 0 : ErrorInvalidHandle;

    [UnmanagedCallersOnly]
    private static int ModuleLoadData(nint* module, void* image)
    {
        string ptx = Marshal.PtrToStringUTF8((nint)image) ?? "";
        if (!ptx.Contains(".visible .entry Kernel_")) return 218;   // CUDA_ERROR_INVALID_PTX
        *module = s_nextHandle++;
        s_modules.Add(*module);
        return 0;
    }

    [UnmanagedCallersOnly] private static int ModuleUnload(nint module) => s_modules.Remove(module) ? 0 : ErrorInvalidHandle;

    [UnmanagedCallersOnly]
    private static int ModuleGetFunction(nint* function, nint module, byte* name)
    {
        string n = Marshal.PtrToStringUTF8((nint)name) ?? "";
        *function = n switch { "Kernel_WalkChunks" => WalkFunction, "Kernel_Compact" => CompactFunction, _ => 0 };
        return *function == 0 ? 500 : 0;   // CUDA_ERROR_NOT_FOUND
    }

    [UnmanagedCallersOnly]
    private static int MemAlloc(ulong* p, nuint bytes)
    {
        void* m = NativeMemory.Alloc(bytes);
        new Span<byte>(m, (int)bytes).Fill(0xA5);   // device memory is not zeroed
        *p = (ulong)m;
        s_device.Add(*p, (long)bytes);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int MemFree(ulong p)
    {
        if (!s_device.Remove(p)) return ErrorInvalidHandle;
        NativeMemory.Free((void*)p);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int MemHostAlloc(void** p, nuint bytes, uint flags)
    {
        *p = NativeMemory.Alloc(bytes);
        s_pinned.Add((nint)(*p), (long)bytes);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int MemFreeHost(void* p)
    {
        if (!s_pinned.Remove((nint)p)) return ErrorInvalidHandle;
        NativeMemory.Free(p);
        return 0;
    }

    private static bool InDevice(ulong p, long bytes)
    {
        foreach (var (start, size) in s_device) if (p >= start && p + (ulong)bytes <= start + (ulong)size) return true;
        return false;
    }

    private enum Command { Upload, ReadOut, Walk, Compact }

    private static bool OtherWalks(nint stream)
    {
        foreach (var (handle, other) in s_streams) if (handle != stream && other.HasWalk) return true;
        return false;
    }

    private static int Enqueue(nint stream, Command command, Action work, double seconds)
    {
        if (!s_streams.TryGetValue(stream, out Stream? s)) return ErrorInvalidHandle;
        if (command == Command.Upload && OtherWalks(stream)) UploadsBesideWalk++;
        if (command == Command.Walk) s.HasWalk = true;
        if (command == Command.ReadOut) s.HasReadOut = true;
        s.Queue.Add(() => { work(); s.Clock += seconds; });
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int MemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream)
    {
        if (!InDevice(dst, (long)bytes)) return ErrorIllegalAddress;
        if (!IsInsidePinned(src, (long)bytes)) PageableAsyncCopies++;
        return Enqueue(stream, Command.Upload, () => Buffer.MemoryCopy(src, (void*)dst, (long)bytes, (long)bytes), (long)bytes / 25e9);
    }

    [UnmanagedCallersOnly]
    private static int MemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream)
    {
        if (!InDevice(src, (long)bytes)) return ErrorIllegalAddress;
        if (!IsInsidePinned(dst, (long)bytes)) PageableAsyncCopies++;
        return Enqueue(stream, Command.ReadOut, () => Buffer.MemoryCopy((void*)src, dst, (long)bytes, (long)bytes), (long)bytes / 25e9);
    }

    private static bool IsInsidePinned(void* p, long bytes)
    {
        foreach (var (start, size) in s_pinned)
            if ((nint)p >= start && (nint)p + (nint)bytes <= start + (nint)size) return true;
        return false;
    }

    private readonly record struct View(ulong Pointer, long Length)
    {
        public int* Ints => (int*)Pointer;
        public byte* Bytes => (byte*)Pointer;
    }

    [UnmanagedCallersOnly]
    private static int LaunchKernel(nint function, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, uint shared, nint stream, void** parameters, void** extra)
    {
        if (FailLaunchAt > 0 && ++Launches >= FailLaunchAt) return ErrorIllegalAddress;
        if (FailLaunchAt == 0) Launches++;
        int range = *(int*)parameters[0];
        if (gy != 1 || gz != 1 || by != 1 || bz != 1 || (long)gx * bx < range || (long)(gx - 1) * bx >= range) return 1;   // CUDA_ERROR_INVALID_VALUE
        int count = function == WalkFunction ? 14 : function == CompactFunction ? 5 : -1;
        if (count < 0) return ErrorInvalidHandle;
        // The driver copies the parameter values at launch: so does the fake.
        var v = new View[count];
        for (int i = 0; i < count; i++)
        {
            ulong* p = (ulong*)parameters[1 + i];
            v[i] = new View(p[0], (long)p[1]);
            if (!InDevice(v[i].Pointer, v[i].Length * (function == WalkFunction && i == 3 ? 1 : 4))) return ErrorIllegalAddress;
        }
        const double kernelSeconds = 1e-3;
        KernelSeconds += kernelSeconds;
        return Enqueue(stream, function == WalkFunction ? Command.Walk : Command.Compact, () =>
        {
            for (int c = 0; c < range; c++)
                if (function == WalkFunction) Walk(c, v); else Compact(c, v);
        }, kernelSeconds);
    }

    /// <summary>The contract of LongestMatchKernels.WalkChunks, for one chunk.</summary>
    private static void Walk(int c, View[] v)
    {
        int nodes = (int)v[0].Length;
        int* trieBase = v[0].Ints, trieCheck = v[1].Ints, trieValue = v[2].Ints;
        byte* text = v[3].Bytes;
        int* start = v[4].Ints, end = v[5].Ints, limit = v[6].Ints, fixedEntry = v[7].Ints;
        int* exitsIn = v[8].Ints, exitsOut = v[9].Ints, assumed = v[10].Ints, counts = v[11].Ints, ids = v[12].Ints, changed = v[13].Ints;
        int entry = fixedEntry[c] >= 0 ? fixedEntry[c] : (c > 0 ? exitsIn[c - 1] : 0);
        if (entry == assumed[c]) { exitsOut[c] = exitsIn[c]; return; }
        assumed[c] = entry;
        changed[0] = 1;
        int p = entry, count = 0;
        while (p < end[c])
        {
            int s = 1 + text[p], id = trieValue[s], last = p + 1;
            for (int q = p + 1; q < limit[c]; q++)
            {
                int t = trieBase[s] + text[q];
                if (t < 0 || t >= nodes || trieCheck[t] != s) break;
                s = t;
                if (trieValue[t] >= 0) { id = trieValue[t]; last = q + 1; }
            }
            ids[start[c] + count++] = id;
            p = last;
        }
        counts[c] = count;
        exitsOut[c] = p;
    }

    /// <summary>The contract of LongestMatchKernels.Compact, for one chunk.</summary>
    private static void Compact(int c, View[] v)
    {
        int* start = v[0].Ints, counts = v[1].Ints, dest = v[2].Ints, ids = v[3].Ints, output = v[4].Ints;
        for (int k = 0; k < counts[c]; k++) output[dest[c] + k] = ids[start[c] + k];
    }

    [UnmanagedCallersOnly]
    private static int GetErrorString(int error, byte** text)
    {
        *text = error == ErrorIllegalAddress ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("an illegal memory access was encountered\0"u8)) : null;
        return *text == null ? 1 : 0;
    }

    [UnmanagedCallersOnly]
    private static int StreamCreate(nint* stream, uint flags)
    {
        StreamFlags |= flags;
        *stream = s_nextHandle++;
        s_streams.Add(*stream, new Stream());
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int StreamSynchronize(nint stream)
    {
        if (!s_streams.TryGetValue(stream, out Stream? s)) return ErrorInvalidHandle;
        if (s.HasReadOut && OtherWalks(stream)) ReadOutsBesideWalk++;
        foreach (Action a in s.Queue) a();
        s.Queue.Clear();
        s.HasWalk = s.HasReadOut = false;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int StreamDestroy(nint stream) => s_streams.Remove(stream) ? 0 : ErrorInvalidHandle;

    [UnmanagedCallersOnly]
    private static int EventCreate(nint* ev, uint flags)
    {
        *ev = s_nextHandle++;
        s_events.Add(*ev, null);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int EventRecord(nint ev, nint stream)
    {
        if (!s_events.ContainsKey(ev) || !s_streams.TryGetValue(stream, out Stream? s)) return ErrorInvalidHandle;
        s.Queue.Add(() => s_events[ev] = s.Clock);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int EventElapsedTime(float* ms, nint start, nint end)
    {
        if (!s_events.TryGetValue(start, out double? a) || !s_events.TryGetValue(end, out double? b)) return ErrorInvalidHandle;
        if (a is null || b is null) return ErrorNotReady;   // asked before the stream reached the events
        *ms = (float)((b.Value - a.Value) * 1000);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int EventDestroy(nint ev) => s_events.Remove(ev) ? 0 : ErrorInvalidHandle;
}
