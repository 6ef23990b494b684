using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Crayon.Backends;
using Crayon.Dat;
using Crayon.Learning;
using Crayon.Normalization;
using Crayon.Native.Interop;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Native;

/// <summary>
/// The engine section of crayon.h: profiles, longest-match tokenization, .dat building, vocabulary
/// learning. Each export validates its pointers and lengths, runs the engine, and maps any exception
/// to a status (int) or CRAYON_FAILED (int64) with a per-thread message. A crayon_vocab* is a
/// <see cref="Handles"/> handle to a <see cref="Tokenizer"/>.
/// </summary>
internal static unsafe class VocabExports
{
    private const uint Borrow = 1u << 0;
    private const uint Verify = 1u << 1;   // CRAYON_VERIFY
    private const uint DatNfc = 1u << 0;   // CRAYON_DAT_NFC

    // ---- backends -------------------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "crayon_backends")]
    public static uint Backends()
    {
        try { return (uint)BackendDetector.Flags; }
        catch (Exception e) { Guard.Fail(e); return (uint)BackendFlags.Cpu; }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_backend_report")]
    public static long BackendReport(byte* output, nuint cap)
    {
        try { return Args.WriteString(BackendDetector.Report(), output, cap); }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    // ---- lifetime -------------------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "crayon_vocab_create")]
    public static int VocabCreate(byte* device, nint* outVocab)
    {
        try
        {
            if (outVocab == null) return Guard.Error(Status.InvalidArgument, "out_vocab is NULL");
            *outVocab = 0;
            var tok = new Tokenizer(device == null ? "auto" : Args.Utf8String(device, "device"));
            *outVocab = Handles.Create(tok);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_load_dat")]
    public static int LoadDat(byte* path, nint* outVocab) => LoadDatFile(path, 0, outVocab);

    [UnmanagedCallersOnly(EntryPoint = "crayon_load_dat_flags")]
    public static int LoadDatFlags(byte* path, uint flags, nint* outVocab) => LoadDatFile(path, flags, outVocab);

    private static int LoadDatFile(byte* path, uint flags, nint* outVocab)
    {
        try
        {
            if (outVocab == null) return Guard.Error(Status.InvalidArgument, "out_vocab is NULL");
            *outVocab = 0;
            if ((flags & ~Verify) != 0) return Guard.Error(Status.InvalidArgument, $"unknown flags 0x{flags:x} (a file takes CRAYON_VERIFY only)");
            Profile profile = Profile.Map(Args.Utf8String(path, "path"), (flags & Verify) != 0);
            *outVocab = Handles.Create(new Tokenizer(profile));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_load_dat_buffer")]
    public static int LoadDatBuffer(byte* data, nuint len, uint flags, nint* outVocab)
    {
        try
        {
            if (outVocab == null) return Guard.Error(Status.InvalidArgument, "out_vocab is NULL");
            *outVocab = 0;
            if (data == null) return Guard.Error(Status.InvalidArgument, "data is NULL");
            if ((flags & ~(Borrow | Verify)) != 0) return Guard.Error(Status.InvalidArgument, $"unknown flags 0x{flags:x}");
            if (len > int.MaxValue) return Guard.Error(Status.InvalidArgument, "len exceeds 2 GiB");
            Profile profile = Profile.FromMemory(data, (long)len, (flags & Borrow) != 0, (flags & Verify) != 0);
            *outVocab = Handles.Create(new Tokenizer(profile));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_free")]
    public static void Free(nint vocab)
    {
        try { Handles.Release<Tokenizer>(vocab, "vocab")?.Dispose(); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_vocab_verify")]
    public static int VocabVerify(nint vocab)
    {
        try
        {
            using var lease = Handles.Get<Tokenizer>(vocab, "vocab").Acquire();
            lease.Profile.Verify();
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    // ---- profiles -------------------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "crayon_set_profile")]
    public static int SetProfile(nint vocab, byte* nameOrPath)
    {
        try
        {
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            string reference = Args.Utf8String(nameOrPath, "name_or_path");
            EnsureLibraryDirectory();
            tok.SetProfile(reference);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_list_profiles")]
    public static long ListProfiles(byte* output, nuint cap)
    {
        try
        {
            EnsureLibraryDirectory();
            var sb = new StringBuilder();
            foreach (string name in ProfileRegistry.List()) sb.Append(name).Append('\n');
            return Args.WriteString(sb.ToString(), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_profile_name")]
    public static long ProfileName(nint vocab, byte* output, nuint cap)
    {
        try
        {
            using var lease = Handles.Get<Tokenizer>(vocab, "vocab").Acquire();
            return Args.WriteString(lease.Profile.Name, output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_profile_info")]
    public static long ProfileInfo(nint vocab, byte* output, nuint cap)
    {
        try
        {
            using var lease = Handles.Get<Tokenizer>(vocab, "vocab").Acquire();
            Profile p = lease.Profile;
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteNumber("vocab_size", p.VocabSize);
                w.WriteString("source", p.Source);
                w.WriteNumber("format_version", p.Image.FormatVersion);
                w.WriteNumber("vocab_version", p.Image.Lineage.Version);
                if (p.Image.Lineage.ParentVersion is uint parentVersion)
                {
                    w.WriteString("parent_checksum", p.Image.Lineage.ParentChecksum.ToString("x16"));
                    w.WriteNumber("parent_version", parentVersion);
                }
                else
                {
                    w.WriteNull("parent_checksum");
                    w.WriteNull("parent_version");
                }
                w.WriteNumber("bytes", p.Bytes);
                w.WriteString("checksum", p.Checksum.ToString("x16"));
                w.WriteBoolean("verified", p.IsFullyVerified);
                w.WriteNumber("trie_nodes", p.NodeCount);
                w.WriteNumber("max_token_bytes", p.MaxTokenBytes);
                w.WriteString("normalization", p.Normalization == TextNormalization.Nfc ? "nfc" : "none");
                if (p.Path is null) w.WriteNull("path"); else w.WriteString("path", p.Path);
                w.WriteEndObject();
            }
            return Args.WriteString(ms.ToArray(), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_vocab_size")]
    public static long VocabSize(nint vocab)
    {
        try { return Handles.Get<Tokenizer>(vocab, "vocab").VocabSize; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_device")]
    public static long Device(nint vocab, byte* output, nuint cap)
    {
        try { return Args.WriteString(Handles.Get<Tokenizer>(vocab, "vocab").Device, output, cap); }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    // ---- tokenize / decode ----------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "crayon_tokenize_bound")]
    public static nuint TokenizeBound(nuint len) =>
        // Every token covers at least one byte of the matched text, and NFC (the normalisation a
        // profile may ask for) makes UTF-8 at most 3 times longer (UAX #15's expansion factor for
        // NFC; generate_nfc_tables.py checks it for our tables).
        len <= nuint.MaxValue / 3 ? 3 * len : nuint.MaxValue;

    [UnmanagedCallersOnly(EntryPoint = "crayon_tokenize")]
    public static long Tokenize(nint vocab, byte* text, nuint len, int* output, nuint cap)
    {
        try
        {
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            if (len > long.MaxValue) return BufferResult.Fail(Status.InvalidArgument, "len is too large");
            if (text == null && len != 0) return BufferResult.Fail(Status.InvalidArgument, "text is NULL with a non-zero len");
            if (output == null && cap != 0) return BufferResult.Fail(Status.InvalidArgument, "out is NULL with a non-zero cap");
            long capacity = cap > long.MaxValue ? long.MaxValue : (long)cap;
            long n = tok.Tokenize(text, (long)len, output, capacity);
            return n <= capacity ? n : BufferResult.Needed(n);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_tokenize_batch")]
    public static long TokenizeBatch(nint vocab, byte** texts, nuint* lens, nuint n, int* output, nuint cap, long* offsets, int threads)
    {
        try
        {
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            if (n > int.MaxValue - 1) return BufferResult.Fail(Status.InvalidArgument, "n is too large");
            if (n != 0 && (texts == null || lens == null)) return BufferResult.Fail(Status.InvalidArgument, "texts or lens is NULL");
            if (offsets == null) return BufferResult.Fail(Status.InvalidArgument, "offsets is NULL (it needs n + 1 entries)");
            if (output == null && cap != 0) return BufferResult.Fail(Status.InvalidArgument, "out is NULL with a non-zero cap");
            var lengths = new long[(int)n];
            for (int i = 0; i < (int)n; i++)
            {
                if (lens[i] > long.MaxValue) return BufferResult.Fail(Status.InvalidArgument, $"lens[{i}] is too large");
                lengths[i] = (long)lens[i];
            }
            long capacity = cap > long.MaxValue ? long.MaxValue : (long)cap;
            // Already the C convention: the total, or minus the capacity needed when cap is too small.
            return tok.TokenizeBatch(new ReadOnlySpan<nint>(texts, (int)n), lengths, output, capacity, offsets, threads);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_decode")]
    public static long Decode(nint vocab, int* ids, nuint n, byte* output, nuint cap)
    {
        try
        {
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            Span<byte> span = Args.Output(output, cap);
            long total = tok.Decode(Args.Ids(ids, n, "ids"), span);
            return total <= span.Length ? total : BufferResult.Needed(total);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    // ---- building and learning -------------------------------------------------------------------

    [UnmanagedCallersOnly(EntryPoint = "crayon_dat_build")]
    public static int DatBuild(byte** tokens, nuint* lens, nuint n, byte* name, byte* source, uint flags, byte** outData, nuint* outLen)
    {
        try
        {
            if (outData == null || outLen == null) return Guard.Error(Status.InvalidArgument, "out_data or out_len is NULL");
            *outData = null; *outLen = 0;
            if ((flags & ~DatNfc) != 0) return Guard.Error(Status.InvalidArgument, $"unknown flags 0x{flags & ~DatNfc:x} (CRAYON_DAT_NFC is the only one)");
            byte[][] list = Args.CopyArrays(tokens, lens, n, "tokens");
            var normalization = (flags & DatNfc) != 0 ? TextNormalization.Nfc : TextNormalization.None;
            byte[] image = DatWriter.Build(list, Args.Utf8StringOrEmpty(name, "name"), Args.Utf8StringOrEmpty(source, "source"),
                                           normalization);
            *outData = ToNative(image, out nuint len);
            *outLen = len;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_vocab_learn")]
    public static int VocabLearn(byte** texts, nuint* lens, nuint n, nuint maxTokens, nuint maxTokenBytes,
                                 delegate* unmanaged<void*, ulong, ulong, int> progress, void* user, byte** outJson, nuint* outLen)
    {
        try
        {
            if (outJson == null || outLen == null) return Guard.Error(Status.InvalidArgument, "out_json or out_len is NULL");
            *outJson = null; *outLen = 0;
            if (maxTokens > 1 << 24) return Guard.Error(Status.InvalidArgument, "max_tokens is larger than 16777216");
            if (maxTokenBytes < 2 || maxTokenBytes > 256) return Guard.Error(Status.InvalidArgument, "max_token_bytes must be in 2..256");
            byte[][] docs = Args.CopyArrays(texts, lens, n, "texts");
            Func<ulong, ulong, bool>? report = progress == null ? null : (done, total) => progress(user, done, total) != 0;
            var learner = new VocabularyLearner((int)maxTokens, (int)maxTokenBytes, report);
            byte[] json = VocabularyLearner.ToJson(learner.Learn(docs));
            *outJson = ToNative(json, out nuint len);
            *outLen = len;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_dat_extend")]
    public static int DatExtend(nint baseVocab, byte** tokens, nuint* lens, nuint n, byte* name, byte* source, byte** outData, nuint* outLen)
    {
        try
        {
            if (outData == null || outLen == null) return Guard.Error(Status.InvalidArgument, "out_data or out_len is NULL");
            *outData = null; *outLen = 0;
            Tokenizer tok = Handles.Get<Tokenizer>(baseVocab, "base");
            byte[][] list = Args.CopyArrays(tokens, lens, n, "tokens");
            byte[] image;
            using (Tokenizer.Lease lease = tok.Acquire())
                image = VocabularyExtension.Build(lease.Profile, list, Args.Utf8StringOrEmpty(name, "name"),
                                                  Args.Utf8StringOrEmpty(source, "source"));
            *outData = ToNative(image, out nuint len);
            *outLen = len;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_free_buffer")]
    public static void FreeBuffer(void* buffer)
    {
        if (buffer != null) NativeMemory.Free(buffer);
    }

    // ---- helpers ---------------------------------------------------------------------------------

    internal static byte* ToNative(byte[] data, out nuint len)
    {
        byte* p = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, data.Length));
        data.CopyTo(new Span<byte>(p, data.Length));
        len = (nuint)data.Length;
        return p;
    }

    private static int s_libDirKnown;

    /// <summary>Tells the engine which directory libcrayon.so lives in (dladdr on one of our exports).</summary>
    private static void EnsureLibraryDirectory()
    {
        if (Volatile.Read(ref s_libDirKnown) != 0) return;
        string? dir = null;
        try
        {
            if (NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "dladdr", out nint dladdr))
            {
                DlInfo info;
                delegate* unmanaged<uint> self = &Backends;
                if (((delegate* unmanaged<void*, DlInfo*, int>)dladdr)((void*)self, &info) != 0 && info.FileName != null)
                {
                    string? file = Marshal.PtrToStringUTF8((nint)info.FileName);
                    if (!string.IsNullOrEmpty(file)) dir = Path.GetDirectoryName(Path.GetFullPath(file));
                }
            }
        }
        catch (Exception) { /* fall back below */ }
        ProfileDirectories.LibraryDirectory = dir ?? AppContext.BaseDirectory;
        Volatile.Write(ref s_libDirKnown, 1);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* FileBase;
        public byte* SymbolName;
        public void* SymbolAddress;
    }
}
