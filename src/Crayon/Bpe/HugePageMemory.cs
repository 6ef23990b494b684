using System.Runtime.InteropServices;

namespace Crayon.Bpe;

/// <summary>
/// A zeroed native block for a table that is probed at random (the rank table, the piece cache),
/// backed by 2 MiB pages on Linux when it is at least that large. With 4 KiB pages a 4–8 MB table
/// spans 1–2 thousand pages, more than the CPU's TLB holds, so nearly every probe that misses the
/// data cache also walks the page table; in 2 MiB pages the whole table needs two to four TLB entries.
/// Freed by <see cref="Dispose"/> or, failing that, by the finalizer; the owner keeps itself alive
/// (<see cref="GC.KeepAlive"/>) while it uses the pointer.
/// </summary>
internal sealed unsafe partial class HugePageMemory : IDisposable
{
    private const nuint HugePage = 2 << 20;
    private const int MadvHugePage = 14;   // MADV_HUGEPAGE (Linux, every architecture)

    private void* _pointer;
    private readonly nuint _rounded;

    /// <summary>The block: <see cref="Bytes"/> bytes, zeroed, aligned to 64 bytes at least.</summary>
    public void* Pointer => _pointer;

    public nuint Bytes { get; }

    public HugePageMemory(nuint bytes)
    {
        Bytes = bytes;
        bool huge = bytes >= HugePage && OperatingSystem.IsLinux();
        nuint alignment = huge ? HugePage : 64;
        nuint rounded = _rounded = (bytes + alignment - 1) & ~(alignment - 1);
        _pointer = NativeMemory.AlignedAlloc(rounded, alignment);
        // Advise before the first touch, so the page faults below allocate huge pages directly
        // (with THP in "madvise" mode, the usual default). Failure only costs speed.
        if (huge)
        {
            try { _ = Madvise(_pointer, rounded, MadvHugePage); }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        NativeMemory.Clear(_pointer, bytes);
        GC.AddMemoryPressure((long)rounded);
    }

    [LibraryImport("libc.so.6", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~HugePageMemory() => Free();

    private void Free()
    {
        if (_pointer == null) return;
        NativeMemory.AlignedFree(_pointer);
        _pointer = null;
        GC.RemoveMemoryPressure((long)_rounded);
    }
}
