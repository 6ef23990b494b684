using System.Runtime.InteropServices;
using Crayon.Dat;
using Crayon.Normalization;
using Crayon.Tokenization;

namespace Crayon.Profiles;

/// <summary>
/// One loaded profile: a .dat image plus the memory that holds it (a read-only file mapping, an aligned
/// private copy, or a caller's borrowed buffer) and the bitmap of cells whose tokens have been checked
/// (<see cref="VerifiedCells"/>). Loading reads the file's first page and its cells once; <see cref="Verify"/> reads
/// all of it (docs/dat-format.md, "Guarantees"). Reference counted: the tokenizer
/// that made it active holds one reference, each in-flight call holds another, and the memory is
/// released when the count reaches zero — so a hot swap never pulls the mapping from under a call.
/// </summary>
public sealed unsafe class Profile
{
    private readonly IDisposable? _owner;   // mapping; null for borrowed memory
    private byte* _copy;                    // private aligned copy, freed on release
    private int _refs = 1;
    private readonly VerifiedCells _verified;
    private int _fullyVerified;

    internal readonly DatImage Image;
    internal readonly TrieWalk Walk;

    /// <summary>Where it came from: a file path, or null for a buffer.</summary>
    public string? Path { get; }
    public string Name => Image.Name;
    public string Source => Image.Source;
    public int VocabSize => Image.VocabSize;
    public int NodeCount => Image.NodeCount;
    public long Bytes => Image.Length;
    public ulong Checksum => Image.Checksum;
    public int MaxTokenBytes => Image.MaxTokenBytes;
    public TextNormalization Normalization => Image.Normalization;
    public bool IsFullyVerified => Volatile.Read(ref _fullyVerified) != 0;

    private Profile(DatImage image, string? path, IDisposable? owner, byte* copy)
    {
        Image = image; Path = path; _owner = owner; _copy = copy;
        _verified = new VerifiedCells(image.NodeCount);
        Walk = new TrieWalk(image, _verified);
    }

    /// <summary>
    /// Full verification (checksum, every cell, every token against its trie path); throws
    /// DatFormatException naming the first problem. Afterwards tokenizing skips the first-use checks.
    /// </summary>
    public void Verify()
    {
        if (IsFullyVerified) return;
        if (!TryAddRef()) throw new ObjectDisposedException(nameof(Profile));
        try
        {
            Image.Verify(_verified);
            Volatile.Write(ref _fullyVerified, 1);
        }
        catch (DatFormatException e) when (Path is not null)
        {
            throw new DatFormatException($"{e.Message} ({Path})");
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Maps the file read-only and opens it in place (no copy, no full read: see <see cref="Verify"/>).</summary>
    public static Profile Map(string path, bool verify = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        MappedFile map = MappedFile.Open(path);
        Profile profile;
        try
        {
            profile = new Profile(DatImage.Open(map.Pointer, map.Length), System.IO.Path.GetFullPath(path), map, null);
        }
        catch (DatFormatException e)
        {
            map.Dispose();
            throw new DatFormatException($"{e.Message} ({path})");
        }
        catch
        {
            map.Dispose();
            throw;
        }
        if (verify) profile.VerifyOrRelease();
        return profile;
    }

    /// <summary>From memory: copied into an 8-byte-aligned private block, or read in place when borrow is set
    /// (the caller keeps the bytes alive and unchanged; misaligned borrowed memory is copied instead).</summary>
    public static Profile FromMemory(byte* data, long length, bool borrow, bool verify = false)
    {
        if (data == null) throw new ArgumentException("data is NULL");
        if (length < 0) throw new ArgumentException("negative length");
        if (borrow && ((nuint)data & 7) == 0)
        {
            var borrowed = new Profile(DatImage.Open(data, length), null, null, null);
            if (verify) borrowed.VerifyOrRelease();
            return borrowed;
        }
        if (length > int.MaxValue) throw new DatFormatException("invalid .dat: image exceeds 2 GiB");
        byte* copy = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(length, 8), 8);
        try
        {
            Buffer.MemoryCopy(data, copy, length, length);
            var profile = new Profile(DatImage.Open(copy, length), null, null, copy);
            copy = null;   // the profile owns it now
            if (verify) profile.VerifyOrRelease();
            return profile;
        }
        catch
        {
            if (copy != null) NativeMemory.AlignedFree(copy);
            throw;
        }
    }

    private void VerifyOrRelease()
    {
        try { Verify(); }
        catch { Release(); throw; }
    }

    public static Profile FromBytes(ReadOnlySpan<byte> image, bool verify = false)
    {
        if (image.IsEmpty) throw new DatFormatException("invalid .dat: 0 bytes (empty image)");
        fixed (byte* p = image) return FromMemory(p, image.Length, borrow: false, verify);
    }

    /// <summary>Takes a reference unless the profile is already released (then the caller re-reads the active one).</summary>
    internal bool TryAddRef()
    {
        int r = Volatile.Read(ref _refs);
        while (r > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, r + 1, r);
            if (seen == r) return true;
            r = seen;
        }
        return false;
    }

    /// <summary>Drops a reference; the last one unmaps or frees the memory.</summary>
    internal void Release()
    {
        int r = Interlocked.Decrement(ref _refs);
        if (r == 0)
        {
            _owner?.Dispose();
            if (_copy != null) { NativeMemory.AlignedFree(_copy); _copy = null; }
            _verified.Dispose();
        }
        else if (r < 0) throw new InvalidOperationException("profile released more times than acquired");
    }

    internal bool IsReleased => Volatile.Read(ref _refs) <= 0;
}
