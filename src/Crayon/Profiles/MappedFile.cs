using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Crayon.Profiles;

/// <summary>
/// A read-only mapping of a whole file. On Linux it calls mmap directly, without MAP_POPULATE: the
/// loader reads the first page and the cells, so what else becomes resident is what tokenizing
/// touches (populating paid off when every load read every page). Elsewhere, or if libc cannot be reached,
/// it falls back to MemoryMappedFile.
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    /// <summary>Switch for measurements and tests (MAP_POPULATE, then the MemoryMappedFile fallback).</summary>
    internal static bool UseMmap = true, Populate = false;

    private readonly IDisposable? _managed;
    private nint _address;
    public byte* Pointer { get; }
    public long Length { get; }

    private MappedFile(byte* pointer, long length, nint address, IDisposable? managed)
    {
        Pointer = pointer; Length = length; _address = address; _managed = managed;
    }

    public static MappedFile Open(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        long length = file.Length;
        if (length < Dat.DatLayout.HeaderSize)
            throw new Dat.DatFormatException($"invalid .dat: {length} bytes is shorter than the {Dat.DatLayout.HeaderSize}-byte header (truncated file?)");
        if (UseMmap && Libc.Mmap is not null)
        {
            const int ProtRead = 1, MapPrivate = 2, MapPopulate = 0x8000;
            nint p = Libc.Mmap(0, (nuint)length, ProtRead, MapPrivate | (Populate ? MapPopulate : 0), (int)file.SafeFileHandle.DangerousGetHandle(), 0);
            if (p != -1) return new MappedFile((byte*)p, length, p, null);
        }
        var mmf = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        var view = mmf.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        return new MappedFile(ptr + view.PointerOffset, length, 0, new Managed(mmf, view));
    }

    public void Dispose()
    {
        if (_address != 0) { Libc.Munmap(_address, (nuint)Length); _address = 0; }
        _managed?.Dispose();
    }

    private sealed class Managed(MemoryMappedFile file, MemoryMappedViewAccessor view) : IDisposable
    {
        public void Dispose()
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }

    private static class Libc
    {
        public static readonly delegate* unmanaged<nint, nuint, int, int, int, long, nint> Mmap;
        public static readonly delegate* unmanaged<nint, nuint, int> Munmap;

        static Libc()
        {
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc.so.6", out nint libc)) return;
            if (NativeLibrary.TryGetExport(libc, "mmap", out nint m) && NativeLibrary.TryGetExport(libc, "munmap", out nint u))
            {
                Mmap = (delegate* unmanaged<nint, nuint, int, int, int, long, nint>)m;
                Munmap = (delegate* unmanaged<nint, nuint, int>)u;
            }
        }
    }
}
