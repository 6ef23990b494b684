using System.Runtime.InteropServices;
using System.Text;
using Crayon.Native.Interop;
using Crayon.PreTokenize;
using Crayon.Training;

namespace Crayon.Native;

/// <summary>
/// crayon_trainer_*: rustbpe-compatible BPE training (trainer section of crayon.h). Thread-safety is
/// the engine's: <see cref="BpeTrainer"/> serializes feed/train; the trained encoder is immutable.
/// </summary>
internal static unsafe class TrainerExports
{
    private const string What = "trainer";

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_new")]
    public static int New(byte* pattern, nint* outTrainer)
    {
        try
        {
            if (outTrainer == null) return Guard.Error(Status.InvalidArgument, "out_trainer is NULL");
            *outTrainer = 0;
            var trainer = new BpeTrainer(pattern == null ? null : Args.Utf8String(pattern, "pattern"));
            *outTrainer = Handles.Create(trainer);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_from_ranks")]
    public static int FromRanks(byte** tokens, nuint* lens, nuint n, byte* pattern, nint* outTrainer)
    {
        try
        {
            if (outTrainer == null) return Guard.Error(Status.InvalidArgument, "out_trainer is NULL");
            *outTrainer = 0;
            byte[][] list = Args.CopyArrays(tokens, lens, n, "tokens");
            var trainer = BpeTrainer.FromTokens(pattern == null ? null : Args.Utf8String(pattern, "pattern"), list);
            *outTrainer = Handles.Create(trainer);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_free")]
    public static void Free(nint trainer)
    {
        try { Handles.Release<BpeTrainer>(trainer, What); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_feed")]
    public static int Feed(nint trainer, byte** texts, nuint* lens, nuint n, int threads)
    {
        try
        {
            BpeTrainer t = Handles.Get<BpeTrainer>(trainer, What);
            t.Feed(Documents(texts, lens, n), threads);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_train")]
    public static int Train(nint trainer, uint vocabSize, delegate* unmanaged<void*, ulong, ulong, int> progress, void* user)
    {
        try
        {
            BpeTrainer t = Handles.Get<BpeTrainer>(trainer, What);
            if (vocabSize > int.MaxValue) return Guard.Error(Status.InvalidArgument, $"vocab_size {vocabSize} is too large");
            Func<long, long, bool>? report = progress == null ? null
                : (done, total) => progress(user, (ulong)done, (ulong)total) == 0;
            t.Train((int)vocabSize, report);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_merge_counts")]
    public static long MergeCounts(nint trainer, long* output, nuint cap)
    {
        try
        {
            return BufferResult.Copy<long>(Handles.Get<BpeTrainer>(trainer, What).MergeCounts, output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_set_byte_order")]
    public static int SetByteOrder(nint trainer, byte* order)
    {
        try
        {
            Handles.Get<BpeTrainer>(trainer, What).SetByteOrder(order == null ? default : new ReadOnlySpan<byte>(order, 256));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_vocab_size")]
    public static long VocabSize(nint trainer)
    {
        try { return Handles.Get<BpeTrainer>(trainer, What).Encoder.VocabSize; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_unique_chunks")]
    public static long UniqueChunks(nint trainer)
    {
        try { return Handles.Get<BpeTrainer>(trainer, What).UniqueChunks; }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_merges")]
    public static long Merges(nint trainer, int* outPairs, nuint cap)
    {
        try
        {
            ReadOnlySpan<int> merges = Handles.Get<BpeTrainer>(trainer, What).Encoder.Merges;
            long n = merges.Length / 2;
            if ((ulong)cap < (ulong)n) return BufferResult.Needed(n);
            if (n > 0 && outPairs == null) return BufferResult.Fail(Status.InvalidArgument, "out_pairs is NULL");
            merges.CopyTo(new Span<int>(outPairs, merges.Length));
            return n;
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_token_bytes")]
    public static long TokenBytes(nint trainer, byte* output, nuint cap, long* offsets, nuint nOffsets)
    {
        try
        {
            MergeEncoder enc = Handles.Get<BpeTrainer>(trainer, What).Encoder;
            ReadOnlySpan<byte> all = enc.AllTokenBytes;
            ReadOnlySpan<int> starts = enc.TokenOffsets;
            if (offsets == null || (ulong)nOffsets < (ulong)starts.Length)
                return BufferResult.Fail(Status.InvalidArgument, $"offsets must hold vocab_size + 1 = {starts.Length} entries");
            long written = BufferResult.Copy(all, output, cap);
            if (written >= 0) for (int i = 0; i < starts.Length; i++) offsets[i] = starts[i];
            return written;
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_pattern")]
    public static long Pattern(nint trainer, byte* output, nuint cap)
    {
        try
        {
            return Args.WriteString(Handles.Get<BpeTrainer>(trainer, What).Pattern, output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_split")]
    public static long Split(nint trainer, byte* text, nuint len, long* starts, long* ends, nuint cap)
    {
        try
        {
            BpeTrainer t = Handles.Get<BpeTrainer>(trainer, What);
            var sink = new SpanSink(text);
            t.Splitter.Split(Args.Bytes(text, len, "text"), sink);
            List<long> s = sink.Starts, e = sink.Ends;
            if ((ulong)cap < (ulong)s.Count) return BufferResult.Needed(s.Count);
            if (s.Count > 0 && (starts == null || ends == null)) return BufferResult.Fail(Status.InvalidArgument, "out_starts or out_ends is NULL");
            for (int i = 0; i < s.Count; i++) { starts[i] = s[i]; ends[i] = e[i]; }
            return s.Count;
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    /// <summary>Records where each chunk lies in the caller's text (chunks are slices of it).</summary>
    private sealed class SpanSink(byte* text) : IChunkSink
    {
        public List<long> Starts { get; } = new();
        public List<long> Ends { get; } = new();
        public void OnChunk(ReadOnlySpan<byte> chunk)
        {
            fixed (byte* p = chunk)
            {
                long start = p - text;
                Starts.Add(start);
                Ends.Add(start + chunk.Length);
            }
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_save_tiktoken")]
    public static int SaveTiktoken(nint trainer, byte* path)
    {
        try
        {
            MergeEncoder enc = Handles.Get<BpeTrainer>(trainer, What).Encoder;
            if (path == null) return Guard.Error(Status.InvalidArgument, "path is NULL");
            File.WriteAllBytes(Args.Utf8String(path, "path"), TiktokenFile.Write(enc));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_encode")]
    public static long Encode(nint trainer, byte* text, nuint len, int* output, nuint cap)
    {
        try
        {
            MergeEncoder enc = Handles.Get<BpeTrainer>(trainer, What).Encoder;
            var ids = new List<int>();
            enc.Encode(Args.Bytes(text, len, "text"), ids);
            return BufferResult.Copy<int>(CollectionsMarshal.AsSpan(ids), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_encode_batch")]
    public static long EncodeBatch(nint trainer, byte** texts, nuint* lens, nuint n, int* output, nuint cap,
                                   long* offsets, int threads)
    {
        try
        {
            MergeEncoder enc = Handles.Get<BpeTrainer>(trainer, What).Encoder;
            IDocuments docs = Documents(texts, lens, n);
            if (offsets == null) return BufferResult.Fail(Status.InvalidArgument, "offsets is NULL");
            var results = new List<int>[docs.Count];
            var options = new ParallelOptions { MaxDegreeOfParallelism = threads <= 0 ? Environment.ProcessorCount : threads };
            try
            {
                Parallel.For(0, docs.Count, options, i => { var ids = new List<int>(); enc.Encode(docs[i], ids); results[i] = ids; });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                return BufferResult.Fail(e.InnerExceptions[0]);
            }
            long total = 0;
            foreach (var r in results) total += r.Count;
            if ((ulong)cap < (ulong)total) return BufferResult.Needed(total);
            if (total > 0 && output == null) return BufferResult.Fail(Status.InvalidArgument, "out is NULL");
            long at = 0;
            for (int i = 0; i < results.Length; i++)
            {
                offsets[i] = at;
                CollectionsMarshal.AsSpan(results[i]).CopyTo(new Span<int>(output + at, results[i].Count));
                at += results[i].Count;
            }
            offsets[results.Length] = at;
            return total;
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_trainer_decode")]
    public static long Decode(nint trainer, int* ids, nuint n, byte* output, nuint cap)
    {
        try
        {
            MergeEncoder enc = Handles.Get<BpeTrainer>(trainer, What).Encoder;
            ReadOnlySpan<int> span = Args.Ids(ids, n, "ids");
            long needed = enc.DecodedLength(span);
            if ((ulong)cap < (ulong)needed) return BufferResult.Needed(needed);
            if (needed > 0 && output == null) return BufferResult.Fail(Status.InvalidArgument, "out is NULL");
            enc.DecodeInto(span, new Span<byte>(output, (int)needed));
            return needed;
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static IDocuments Documents(byte** texts, nuint* lens, nuint n)
    {
        int count = Args.CheckArrays(texts, lens, n, "texts");
        return new PointerDocuments(texts, lens, count);
    }

    /// <summary>The caller's documents, read in place for the duration of one call.</summary>
    private sealed class PointerDocuments(byte** texts, nuint* lens, int count) : IDocuments
    {
        public int Count => count;
        public ReadOnlySpan<byte> this[int index] => lens[index] == 0 ? default : new ReadOnlySpan<byte>(texts[index], (int)lens[index]);
    }
}
