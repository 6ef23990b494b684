using System.Runtime.InteropServices;
using Crayon.Bpe;
using Crayon.Native.Interop;
using Crayon.Streaming;
using Crayon.Tokenization;

namespace Crayon.Native;

/// <summary>
/// The streaming section of crayon.h: a crayon_stream is one tokenizer engine (a pinned profile, or
/// a BPE encoding with its special-token policy) plus one session over it. Feed/finish/take use the
/// session (one thread at a time); crayon_stream_file uses only the engine.
/// </summary>
internal static unsafe class StreamExports
{
    private const string What = "stream";

    /// <summary>What a crayon_stream handle holds.</summary>
    private sealed class StreamHandle(TokenEngine engine) : IDisposable
    {
        public TokenEngine Engine { get; } = engine;
        public TokenStream Session { get; } = engine.OpenStream();

        public void Dispose()
        {
            Session.Dispose();
            Engine.Dispose();
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_new")]
    public static int New(nint vocab, nint* outStream)
    {
        try
        {
            if (outStream == null) throw new CrayonException(Status.InvalidArgument, "out_stream is NULL");
            *outStream = 0;
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            *outStream = Handles.Create(new StreamHandle(TokenEngine.ForProfile(tok)));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_new_bpe")]
    public static int NewBpe(nint bpe, byte** allowed, nuint nAllowed, byte** disallowed, nuint nDisallowed, uint flags, nint* outStream)
    {
        try
        {
            if (outStream == null) throw new CrayonException(Status.InvalidArgument, "out_stream is NULL");
            *outStream = 0;
            var enc = Handles.Get<BpeEncoding>(bpe, "bpe");
            var policy = BpeExports.Policy(enc, allowed, nAllowed, disallowed, nDisallowed, flags);
            *outStream = Handles.Create(new StreamHandle(TokenEngine.ForBpe(enc, policy)));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_free")]
    public static void Free(nint stream)
    {
        try { Handles.Release<StreamHandle>(stream, What)?.Dispose(); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_feed")]
    public static long Feed(nint stream, byte* bytes, nuint len)
    {
        try
        {
            var s = Handles.Get<StreamHandle>(stream, What);
            return s.Session.Feed(Args.Bytes(bytes, len, "bytes"));
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_finish")]
    public static long Finish(nint stream)
    {
        try { return Handles.Get<StreamHandle>(stream, What).Session.Finish(); }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_take")]
    public static long Take(nint stream, int* ids, nuint cap)
    {
        try
        {
            var s = Handles.Get<StreamHandle>(stream, What);
            return s.Session.Take(Args.Output(ids, cap));
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_ready")]
    public static long Ready(nint stream)
    {
        try { return Handles.Get<StreamHandle>(stream, What).Session.ReadyCount; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_set_max_pending")]
    public static int SetMaxPending(nint stream, ulong bytes)
    {
        try
        {
            var s = Handles.Get<StreamHandle>(stream, What);
            if (bytes == 0 || bytes > (ulong)Array.MaxLength) throw new CrayonException(Status.InvalidArgument, $"max_pending must be 1 .. {Array.MaxLength} bytes");
            s.Session.MaxPendingBytes = (long)bytes;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_stream_file")]
    public static int File(nint stream, byte* inputPath, byte* outputPath, byte* indexPath, uint idBytes,
                           byte* docSep, nuint docSepLen, long bos, int threads,
                           delegate* unmanaged<void*, ulong, ulong, int> progress, void* user,
                           ulong* outDocuments, ulong* outTokens)
    {
        try
        {
            var s = Handles.Get<StreamHandle>(stream, What);
            if (bos < -1 || bos > int.MaxValue) throw new CrayonException(Status.InvalidArgument, $"bos {bos} is not an id (-1 for none)");
            var options = new ShardOptions
            {
                Input = Args.Utf8String(inputPath, "input_path"),
                Output = Args.Utf8String(outputPath, "output_path"),
                Index = indexPath == null ? null : Args.Utf8String(indexPath, "index_path"),
                IdBytes = (int)Math.Min(idBytes, 64),
                DocumentSeparator = Args.Bytes(docSep, docSepLen, "doc_sep").ToArray(),
                Bos = (int)bos,
                Threads = threads,
            };
            Func<long, long, bool>? report = progress == null ? null
                : (done, total) => progress(user, (ulong)done, (ulong)total) == 0;
            ShardResult r = ShardFile.Write(s.Engine, options, report);
            if (outDocuments != null) *outDocuments = (ulong)r.Documents;
            if (outTokens != null) *outTokens = (ulong)r.Tokens;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }
}
