using Crayon.Backends;
using Crayon.Gpu;
using Crayon.Normalization;
using Crayon.Profiles;

namespace Crayon.Tokenization;

/// <summary>
/// A longest-match tokenizer with one active profile that can be swapped atomically while other
/// threads tokenize. Every call pins the profile it starts with (reference count) and uses it to the
/// end; a swap publishes the new profile and drops the tokenizer's reference to the old one, which is
/// unmapped when its last in-flight call finishes. All members are thread-safe except Dispose.
/// </summary>
public sealed unsafe class Tokenizer : IDisposable
{
    private Profile? _active;

    /// <summary>The device calls run on: "cpu", or a GPU backend's name ("auto" tells once it has probed).</summary>
    public string Device => _device;

    // GPU devices (see DeviceSelector): the batch and single-text calls run there; decode stays on the CPU.
    private volatile GpuSession? _gpu;
    private volatile string _device;
    private readonly bool _auto;
    private int _autoProbed;            // auto only: the first large batch looks for a GPU, once
    private volatile bool _gpuFailed;   // auto only: the GPU failed once, so this tokenizer stays on the CPU

    public Tokenizer(string? device = "auto")
    {
        var choice = DeviceSelector.Resolve(device);
        _device = choice.Name;
        _auto = choice.Auto;
        if (choice.Gpu is not null) _gpu = new GpuSession(choice.Gpu);
    }

    /// <summary>Auto: the first large batch opens the GPU drivers (DeviceSelector.ProbeAuto); others keep
    /// the CPU meanwhile.</summary>
    private void ProbeAutoOnce()
    {
        if (Interlocked.Exchange(ref _autoProbed, 1) != 0) return;
        var choice = DeviceSelector.ProbeAuto();
        if (choice.Gpu is null) return;
        _gpu = new GpuSession(choice.Gpu);
        _device = choice.Name;
    }

    /// <summary>The device session (null on the CPU): tests and benchmarks tune its chunk and piece sizes.</summary>
    internal GpuSession? Gpu => _gpu;

    /// <summary>Creates a tokenizer whose active profile is already loaded (takes ownership of it).</summary>
    public Tokenizer(Profile profile, string? device = "auto") : this(device)
    {
        _active = profile;
    }

    /// <summary>Loads a profile by name or path and makes it active.</summary>
    public void SetProfile(string nameOrPath)
    {
        string file = ProfileRegistry.Resolve(nameOrPath);
        Swap(Profile.Map(file));
    }

    /// <summary>Makes profile active (takes ownership of its reference); the previous one is released when unused.</summary>
    public void Swap(Profile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Profile? old = Interlocked.Exchange(ref _active, profile);
        old?.Release();
    }

    /// <summary>Pins the active profile for one call. Dispose the lease when done.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            Profile? p = Volatile.Read(ref _active);
            if (p is null) throw new InvalidOperationException("no profile is active: load one first (crayon_set_profile / load_profile)");
            if (p.TryAddRef()) return new Lease(p);
            // Released between the read and the add-ref: a swap happened, so the field holds a newer one.
        }
    }

    public readonly struct Lease(Profile profile) : IDisposable
    {
        public Profile Profile { get; } = profile;
        public void Dispose() => Profile.Release();
    }

    /// <summary>Tokenizes text into output (see LongestMatch.Run for the capacity contract).</summary>
    public long Tokenize(ReadOnlySpan<byte> text, Span<int> output)
    {
        fixed (byte* t = text)
        fixed (int* o = output)
            return Tokenize(t, text.Length, o, output.Length);
    }

    /// <summary>
    /// With an NFC profile the text is normalised first (see <see cref="Nfc"/>): ASCII and NFC text
    /// are read in place, other text through one normalised copy, so the count can exceed length
    /// (NFC can lengthen UTF-8 up to 3 times). Without normalisation this is one flag test more
    /// than the bare longest match.
    /// </summary>
    public long Tokenize(byte* text, long length, int* output, long capacity)
    {
        using Lease lease = Acquire();
        Profile profile = lease.Profile;
        if (_gpu is not null && !_auto)
        {
            // One document on the device; when the ids do not fit, the CPU writes the first capacity of them
            // (the same ids), keeping this call's partial-output contract.
            long* offs = stackalloc long[2];
            long n = _gpu.Run(profile, [(nint)text], [length], output, capacity, offs);
            if (n >= 0) return n;
        }
        if (profile.Normalization == TextNormalization.None)
            return LongestMatch.Run(profile.Walk, text, length, output, capacity);
        using NormalizedText normalized = Nfc.Normalize(text, length);
        return LongestMatch.Run(profile.Walk, normalized.Pointer, normalized.Length, output, capacity);
    }

    public int[] Tokenize(ReadOnlySpan<byte> text)
    {
        var ids = new int[text.Length];
        long n = Tokenize(text, ids);
        if (n > ids.Length)   // normalisation lengthened the text
        {
            ids = new int[n];
            n = Tokenize(text, ids);
        }
        return ids.AsSpan(0, (int)n).ToArray();
    }

    /// <summary>Decodes ids; returns the total byte count (bytes written only while they fit).</summary>
    public long Decode(ReadOnlySpan<int> ids, Span<byte> output)
    {
        using Lease lease = Acquire();
        return Decoder.Run(lease.Profile.Image, ids, output);
    }

    public byte[] Decode(ReadOnlySpan<int> ids)
    {
        using Lease lease = Acquire();
        long n = Decoder.Run(lease.Profile.Image, ids, Span<byte>.Empty);
        var bytes = new byte[n];
        Decoder.Run(lease.Profile.Image, ids, bytes);
        return bytes;
    }

    /// <summary>Batch tokenization into a flat buffer (see BatchTokenizer).</summary>
    public long TokenizeBatch(ReadOnlySpan<nint> texts, ReadOnlySpan<long> lengths, int* output, long capacity, long* offsets, int threads)
    {
        using Lease lease = Acquire();
        if (_gpu is { } explicitGpu && !_auto) return explicitGpu.Run(lease.Profile, texts, lengths, output, capacity, offsets);
        if (_auto && !_gpuFailed)
        {
            long bytes = 0;
            foreach (long l in lengths) bytes += Math.Max(0, l);
            if (bytes >= DeviceSelector.AutoGpuMinBatchBytes)
            {
                ProbeAutoOnce();
                if (_gpu is { } gpu)
                    try { return gpu.Run(lease.Profile, texts, lengths, output, capacity, offsets); }
                    catch (GpuException) { _gpuFailed = true; }   // documented: auto falls back to the CPU
            }
        }
        return BatchTokenizer.Run(lease.Profile.Walk, lease.Profile.Normalization, texts, lengths, output, capacity, offsets, threads);
    }

    public int VocabSize { get { using Lease l = Acquire(); return l.Profile.VocabSize; } }

    public bool HasProfile => Volatile.Read(ref _active) is not null;

    public void Dispose()
    {
        Profile? old = Interlocked.Exchange(ref _active, null);
        old?.Release();
        _gpu?.Dispose();
    }
}
