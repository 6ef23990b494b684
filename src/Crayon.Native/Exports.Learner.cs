using System.Runtime.InteropServices;
using Crayon.Learning;
using Crayon.Native.Interop;
using Crayon.Tokenization;

namespace Crayon.Native;

/// <summary>
/// crayon_learner_*: the vocabulary learner fed as a stream (learner section of crayon.h). Feed
/// serialises on the handle (<see cref="PhraseCounts"/>); learning reads the counts.
/// </summary>
internal static unsafe class LearnerExports
{
    private const string What = "learner";

    [UnmanagedCallersOnly(EntryPoint = "crayon_learner_new")]
    public static int New(nuint maxTokenBytes, nint* outLearner)
    {
        try
        {
            if (outLearner == null) return Guard.Error(Status.InvalidArgument, "out_learner is NULL");
            *outLearner = 0;
            if (maxTokenBytes < 2 || maxTokenBytes > 256) return Guard.Error(Status.InvalidArgument, "max_token_bytes must be in 2..256");
            *outLearner = Handles.Create(new PhraseCounts((int)maxTokenBytes));
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_learner_free")]
    public static void Free(nint learner)
    {
        try { Handles.Release<PhraseCounts>(learner, What); }
        catch (Exception e) { Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_learner_feed")]
    public static int Feed(nint learner, byte** texts, nuint* lens, nuint n)
    {
        try
        {
            PhraseCounts counts = Handles.Get<PhraseCounts>(learner, What);
            byte[][] docs = Args.CopyArrays(texts, lens, n, "texts");
            lock (counts) counts.Feed(docs);
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_learner_learn")]
    public static int Learn(nint learner, nint baseVocab, nuint maxTokens, delegate* unmanaged<void*, ulong, ulong, int> progress,
                            void* user, byte** outJson, nuint* outLen)
    {
        try
        {
            if (outJson == null || outLen == null) return Guard.Error(Status.InvalidArgument, "out_json or out_len is NULL");
            *outJson = null; *outLen = 0;
            if (maxTokens > 1 << 24) return Guard.Error(Status.InvalidArgument, "max_tokens is larger than 16777216");
            PhraseCounts counts = Handles.Get<PhraseCounts>(learner, What);
            List<byte[]>? keep = null;
            if (baseVocab != 0)
            {
                Tokenizer tok = Handles.Get<Tokenizer>(baseVocab, "base");
                using Tokenizer.Lease lease = tok.Acquire();
                keep = VocabularyExtension.LearnedTokens(lease.Profile);
            }
            Func<ulong, ulong, bool>? report = progress == null ? null : (done, total) => progress(user, done, total) != 0;
            var learnerAlgo = new VocabularyLearner((int)maxTokens, counts.MaxTokenBytes, report);
            List<byte[]> tokens;
            lock (counts) tokens = learnerAlgo.Learn(counts, keep);
            byte[] json = VocabularyLearner.ToJson(tokens);
            *outJson = VocabExports.ToNative(json, out nuint len);
            *outLen = len;
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_learner_stats")]
    public static int Stats(nint learner, ulong* outDocuments, ulong* outBytes)
    {
        try
        {
            PhraseCounts counts = Handles.Get<PhraseCounts>(learner, What);
            lock (counts)
            {
                if (outDocuments != null) *outDocuments = (ulong)counts.DocumentsFed;
                if (outBytes != null) *outBytes = (ulong)counts.BytesFed;
            }
            return Status.Ok;
        }
        catch (Exception e) { return Guard.Fail(e); }
    }
}
