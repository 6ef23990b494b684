using System.Runtime.InteropServices;
using System.Text;
using Crayon.Bpe;
using Crayon.Native.Interop;
using Crayon.PreTokenize;

namespace Crayon.Native;

/// <summary>
/// The BPE section of crayon.h: tiktoken-compatible encodings. A crayon_bpe is an immutable
/// <see cref="BpeEncoding"/> behind a validated handle, so every call may run on any thread at once.
/// </summary>
internal static unsafe class BpeExports
{
    private const string What = "bpe";

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_load")]
    public static int Load(byte* path, byte* pattern, byte** specialNames, int* specialIds, nuint nSpecial, nint* outBpe)
    {
        try
        {
            CheckOut(outBpe);
            string file = Args.Utf8String(path, "tiktoken_path");
            var (pat, names, ids) = Common(pattern, specialNames, specialIds, nSpecial);
            byte[] data;
            try { data = File.ReadAllBytes(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CrayonException(Status.Io, $"cannot read rank file \"{file}\": {e.Message}");
            }
            *outBpe = Handles.Create(BpeEncoding.FromTiktokenData(data, pat, names, ids));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_load_buffer")]
    public static int LoadBuffer(byte* data, nuint len, byte* pattern, byte** specialNames, int* specialIds, nuint nSpecial, nint* outBpe)
    {
        try
        {
            CheckOut(outBpe);
            var bytes = Args.Bytes(data, len, "tiktoken_data");
            var (pat, names, ids) = Common(pattern, specialNames, specialIds, nSpecial);
            *outBpe = Handles.Create(BpeEncoding.FromTiktokenData(bytes, pat, names, ids));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_from_ranks")]
    public static int FromRanks(byte** tokens, nuint* tokenLens, int* ranks, nuint n, byte* pattern,
                                byte** specialNames, int* specialIds, nuint nSpecial, nint* outBpe)
    {
        try
        {
            CheckOut(outBpe);
            if (n > 0 && (tokens == null || tokenLens == null || ranks == null))
                throw new CrayonException(Status.InvalidArgument, "tokens, token_lens and ranks must not be NULL when n > 0");
            byte[][] list = Args.CopyArrays(tokens, tokenLens, n, "tokens");
            int[] rankList = new ReadOnlySpan<int>(ranks, list.Length).ToArray();
            var (pat, names, ids) = Common(pattern, specialNames, specialIds, nSpecial);
            *outBpe = Handles.Create(BpeEncoding.FromRanks(list, rankList, pat, names, ids));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_free")]
    public static void Free(nint bpe)
    {
        try { Handles.Release<BpeEncoding>(bpe, What); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_n_vocab")]
    public static long NVocab(nint bpe)
    {
        try { return Handles.Get<BpeEncoding>(bpe, What).NVocab; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_encode_ordinary")]
    public static long EncodeOrdinary(nint bpe, byte* text, nuint len, int* output, nuint cap)
    {
        try
        {
            var enc = Handles.Get<BpeEncoding>(bpe, What);
            var input = Args.Bytes(text, len, "text");
            int count = enc.EncodeOrdinary(input, Args.Output(output, cap));
            return count <= (long)cap ? count : BufferResult.Needed(count);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_encode")]
    public static long Encode(nint bpe, byte* text, nuint len, byte** allowed, nuint nAllowed, byte** disallowed, nuint nDisallowed,
                              uint flags, int* output, nuint cap)
    {
        try
        {
            var enc = Handles.Get<BpeEncoding>(bpe, What);
            var input = Args.Bytes(text, len, "text");
            var policy = Policy(enc, allowed, nAllowed, disallowed, nDisallowed, flags);
            int count = enc.Encode(input, policy, Args.Output(output, cap));
            return count <= (long)cap ? count : BufferResult.Needed(count);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_encode_batch")]
    public static long EncodeBatch(nint bpe, byte** texts, nuint* lens, nuint n, byte** allowed, nuint nAllowed,
                                   byte** disallowed, nuint nDisallowed, uint flags, int* output, nuint cap,
                                   long* offsets, int threads)
    {
        try
        {
            var enc = Handles.Get<BpeEncoding>(bpe, What);
            if (offsets == null) throw new CrayonException(Status.InvalidArgument, "offsets is NULL (it needs n + 1 entries)");
            if (n > 0 && (texts == null || lens == null))
                throw new CrayonException(Status.InvalidArgument, "texts and lens must not be NULL when n > 0");
            if (n > int.MaxValue) throw new CrayonException(Status.InvalidArgument, "too many documents");
            for (nuint i = 0; i < n; i++)
                if (texts[i] == null && lens[i] != 0)
                    throw new CrayonException(Status.InvalidArgument, $"texts[{i}] is NULL but lens[{i}] is {lens[i]}");
                else if (lens[i] > int.MaxValue)
                    throw new CrayonException(Status.InvalidArgument, $"lens[{i}] is too large (at most 2^31 - 1 bytes per document)");
            var policy = Policy(enc, allowed, nAllowed, disallowed, nDisallowed, flags);
            long capacity = cap > long.MaxValue ? long.MaxValue : (long)cap;
            if (output == null && capacity != 0) throw new CrayonException(Status.InvalidArgument, "out is NULL with a non-zero cap");
            long total = enc.EncodeBatch((int)n, i => new ReadOnlySpan<byte>(texts[i], (int)lens[i]), policy, output, capacity, offsets, threads);
            return total >= 0 ? total : BufferResult.Needed(-total);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_decode")]
    public static long Decode(nint bpe, int* ids, nuint n, byte* output, nuint cap)
    {
        try
        {
            var enc = Handles.Get<BpeEncoding>(bpe, What);
            Span<byte> span = Args.Output(output, cap);
            long total = enc.Decode(Args.Ids(ids, n, "ids"), span);
            return total <= span.Length ? total : BufferResult.Needed(total);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_token_bytes")]
    public static long TokenBytes(nint bpe, int id, byte* output, nuint cap)
    {
        try
        {
            return BufferResult.Copy(Handles.Get<BpeEncoding>(bpe, What).TokenBytes(id), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_bpe_encode_single_token")]
    public static int EncodeSingleToken(nint bpe, byte* bytes, nuint len, int* outId)
    {
        try
        {
            var enc = Handles.Get<BpeEncoding>(bpe, What);
            if (outId == null) throw new CrayonException(Status.InvalidArgument, "out_id is NULL");
            var input = Args.Bytes(bytes, len, "bytes");
            if (!enc.TryEncodeSingleToken(input, out int id))
                throw new CrayonException(Status.NotFound, "the bytes are not exactly one token of this encoding");
            *outId = id;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static void CheckOut(nint* outBpe)
    {
        if (outBpe == null) throw new CrayonException(Status.InvalidArgument, "out_bpe is NULL");
        *outBpe = 0;
    }

    private static (string pattern, string[] names, int[] ids) Common(byte* pattern, byte** names, int* ids, nuint n)
    {
        string pat = Args.Utf8String(pattern, "pattern");
        if (n > 0 && (names == null || ids == null))
            throw new CrayonException(Status.InvalidArgument, "special_names and special_ids must not be NULL when n_special > 0");
        if (n > 1_000_000) throw new CrayonException(Status.InvalidArgument, "too many special tokens");
        var nameList = new string[(int)n];
        var idList = new int[(int)n];
        for (int i = 0; i < (int)n; i++)
        {
            nameList[i] = Args.Utf8String(names[i], $"special_names[{i}]");
            idList[i] = ids[i];
        }
        try
        {
            PreTokenizer.FromPattern(pat); // a bad pattern is an argument error, reported before any work
        }
        catch (ArgumentException e)
        {
            throw new CrayonException(Status.InvalidArgument, e.Message);
        }
        return (pat, nameList, idList);
    }

    internal static SpecialPolicy Policy(BpeEncoding enc, byte** allowed, nuint nAllowed, byte** disallowed, nuint nDisallowed, uint flags)
    {
        const uint AllowAll = 1u << 0, DisallowAll = 1u << 1;
        if ((flags & ~(AllowAll | DisallowAll)) != 0) throw new CrayonException(Status.InvalidArgument, $"unknown flags 0x{flags:X}");
        return enc.Policy(Names(allowed, nAllowed, "allowed"), Names(disallowed, nDisallowed, "disallowed"),
                          (flags & AllowAll) != 0, (flags & DisallowAll) != 0);
    }

    private static string[]? Names(byte** list, nuint n, string what) => n == 0 ? null : Args.Strings(list, n, what);
}
