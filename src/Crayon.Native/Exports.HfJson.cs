using System.Runtime.InteropServices;
using Crayon.HfJson;
using Crayon.Native.Interop;

namespace Crayon.Native;

/// <summary>
/// The tokenizer.json section of crayon.h: Hugging Face byte-level BPE files with HF's ids. A
/// crayon_hf is an immutable <see cref="HfTokenizer"/> behind a validated handle, so every call may
/// run on any thread at once.
/// </summary>
internal static unsafe class HfJsonExports
{
    private const string What = "hf";

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_load")]
    public static int Load(byte* path, nint* outHf)
    {
        try
        {
            if (outHf == null) return Guard.Error(Status.InvalidArgument, "out_hf is NULL");
            *outHf = 0;
            string file = Args.Utf8String(path, "path");
            byte[] json;
            try { json = File.ReadAllBytes(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CrayonException(Status.Io, $"cannot read \"{file}\": {e.Message}");
            }
            *outHf = Handles.Create(HfTokenizer.FromJson(json));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_load_buffer")]
    public static int LoadBuffer(byte* json, nuint len, nint* outHf)
    {
        try
        {
            if (outHf == null) return Guard.Error(Status.InvalidArgument, "out_hf is NULL");
            *outHf = 0;
            *outHf = Handles.Create(HfTokenizer.FromJson(Args.Bytes(json, len, "json")));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_free")]
    public static void Free(nint hf)
    {
        try { Handles.Release<HfTokenizer>(hf, What); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_vocab_size")]
    public static long VocabSize(nint hf)
    {
        try { return Handles.Get<HfTokenizer>(hf, What).VocabSize; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_encode")]
    public static long Encode(nint hf, byte* text, nuint len, int addSpecialTokens, int* output, nuint cap)
    {
        try
        {
            var tok = Handles.Get<HfTokenizer>(hf, What);
            int[] ids = tok.Encode(Args.Bytes(text, len, "text"), addSpecialTokens != 0);
            return BufferResult.Copy<int>(ids, output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_hf_decode")]
    public static long Decode(nint hf, int* ids, nuint n, int skipSpecialTokens, byte* output, nuint cap)
    {
        try
        {
            var tok = Handles.Get<HfTokenizer>(hf, What);
            return BufferResult.Copy<byte>(tok.Decode(Args.Ids(ids, n, "ids"), skipSpecialTokens != 0), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }
}
