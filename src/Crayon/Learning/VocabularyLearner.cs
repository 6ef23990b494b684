using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Crayon.Dat;
using Crayon.Tokenization;
using Crayon.Training;
using Crayon.Trie;

namespace Crayon.Learning;

/// <summary>
/// Learns a vocabulary for greedy longest match, the engine's own algorithm, by optimising the token
/// count of that segmentation on the training text:
/// 1. the text is cut into phrases (<see cref="PhraseSplitter"/>: lines, not words, so tokens may span
///    spaces and words) and each distinct phrase is counted;
/// 2. byte-pair merges over the phrases (<see cref="MergeLoop"/>, the BPE trainer's loop) propose
///    <see cref="Overshoot"/> times more candidates than wanted;
/// 3. the candidates are pruned: every distinct phrase is tokenized with greedy longest match over the
///    current set, and the tokens used least are dropped — half of the excess per round, so that the
///    survivors are re-measured without the ones they shadowed — until maxTokens are left.
/// BPE needs every intermediate token of its merge chains; greedy matching does not, so pruning
/// spends those slots on tokens it actually uses. Deterministic: counting is order-free, merges break
/// ties by pair, pruning by bytes. The list comes ordered by measured use, most used first (that
/// order becomes the ids, from 260). Tokens are byte strings: most are UTF-8 text, some are partial
/// characters (a script's shared lead bytes), which greedy matching uses well.
/// </summary>
public sealed class VocabularyLearner
{
    /// <summary>Longest phrase counted, bytes (tokens cannot be longer).</summary>
    public const int PhraseBytes = 64;

    /// <summary>Candidates proposed per token kept.</summary>
    public const double Overshoot = 1.5;

    /// <summary>Distinct phrase bytes the merges see at most: the merge loop is single-threaded and
    /// its time grows with the distinct text, while candidates need only good statistics (pruning
    /// then measures them on everything).</summary>
    public static long MergeSampleBytes = long.TryParse(Environment.GetEnvironmentVariable("CRAYON_LEARN_SAMPLE_MB"), out long mb) ? mb << 20 : 16L << 20;

    private const int MaxRounds = 8;
    private const int FeedBatch = 512;

    private readonly int _maxTokens;
    private readonly int _maxTokenBytes;
    private readonly Func<ulong, ulong, bool>? _progress; // (done, total) → true to cancel

    public VocabularyLearner(int maxTokens, int maxTokenBytes, Func<ulong, ulong, bool>? progress = null)
    {
        if (maxTokens < 0) throw new ArgumentException("max_tokens must be ≥ 0");
        if (maxTokenBytes < 2 || maxTokenBytes > 256) throw new ArgumentException("max_token_bytes must be in 2..256");
        _maxTokens = maxTokens;
        _maxTokenBytes = maxTokenBytes;
        _progress = progress;
    }

    /// <summary>Progress steps: one per batch of documents, 1000 for the merges, one per pruning round.</summary>
    private ulong TotalSteps(int docs) => (ulong)((docs + FeedBatch - 1) / FeedBatch) + 1000 + MaxRounds;

    public List<byte[]> Learn(IReadOnlyList<byte[]> texts)
    {
        ulong total = TotalSteps(texts.Count), done = 0;
        var trainer = new BpeTrainer(new PhraseSplitter(Math.Min(PhraseBytes, _maxTokenBytes)));
        for (int d = 0; d < texts.Count; d += FeedBatch)
        {
            int n = Math.Min(FeedBatch, texts.Count - d);
            trainer.Feed(new ArraySliceDocuments(texts, d, n));
            Report(++done, total);
        }
        if (_maxTokens == 0 || trainer.UniqueChunks == 0) { Report(total, total); return []; }

        ulong mergeBase = done;
        ChunkTable phrases = trainer.Chunks;
        long wanted = Math.Min((long)(_maxTokens * Overshoot) + 256, int.MaxValue - 256);
        int[] mergePairs = MergeLoop.Run(Sample(phrases, MergeSampleBytes), (int)wanted,
            (m, all) => !Cancelled(mergeBase + (ulong)(m * 1000 / Math.Max(all, 1)), total));
        var merged = new MergeEncoder(trainer.Splitter, mergePairs);
        done = mergeBase + 1000;

        var active = new List<byte[]>(merged.VocabSize - 256);
        for (int rank = 256; rank < merged.VocabSize; rank++)
        {
            ReadOnlySpan<byte> token = merged.Token(rank);
            if (token.Length <= _maxTokenBytes) active.Add(token.ToArray());
        }

        long[] uses = Measure(active, phrases);
        for (int round = 0; round < MaxRounds; round++)
        {
            Report(++done, total);
            int excess = active.Count - _maxTokens;
            int unused = 0;
            foreach (long u in uses) if (u == 0) unused++;
            if (excess <= 0 && unused == 0) break;
            int drop = round == MaxRounds - 1 ? Math.Max(excess, unused) : Math.Max(unused, (excess + 1) / 2);
            int[] order = ByUse(active, uses);
            var next = new List<byte[]>(active.Count - drop);
            for (int r = 0; r < active.Count - drop; r++) next.Add(active[order[r]]);
            active = next;
            uses = Measure(active, phrases);
        }
        Report(total, total);

        int[] final = ByUse(active, uses);
        var result = new List<byte[]>(Math.Min(active.Count, _maxTokens));
        foreach (int i in final)
            if (uses[i] > 0 && result.Count < _maxTokens) result.Add(active[i]);
        return result;
    }

    /// <summary>
    /// The phrases, or when they hold more than budget bytes a sample with the same expected counts:
    /// with k = ⌈bytes / budget⌉, a phrase seen at least k times stays as it is; a rarer one stays with
    /// probability 1/k (decided by a hash of its bytes, so the sample is the same on every run) and
    /// counts k times as much.
    /// </summary>
    private static ChunkTable Sample(ChunkTable phrases, long budget)
    {
        long bytes = 0;
        for (int e = 0; e < phrases.Count; e++) bytes += phrases.Chunk(e).Length;
        if (bytes <= budget) return phrases;
        long k = (bytes + budget - 1) / budget;
        var sample = new ChunkTable(1 << 16);
        for (int e = 0; e < phrases.Count; e++)
        {
            ReadOnlySpan<byte> phrase = phrases.Chunk(e);
            long count = phrases.CountOf(e);
            if (count >= k) sample.Add(phrase, count);
            else if (System.IO.Hashing.XxHash3.HashToUInt64(phrase) % (ulong)k == 0) sample.Add(phrase, count * k);
        }
        return sample;
    }

    /// <summary>Greedy longest match over every distinct phrase; each token's uses, weighted by the
    /// phrase's count. Phrases are shared out over the cores, each with its own counters.</summary>
    private static unsafe long[] Measure(List<byte[]> vocab, ChunkTable phrases)
    {
        var keys = new List<(byte[] Key, int Value)>(vocab.Count);
        for (int i = 0; i < vocab.Count; i++) keys.Add((vocab[i], DatLayout.FirstLearnedId + i));
        TrieNode[] nodes = DoubleArrayBuilder.Build(keys, c => DatLayout.ByteIdBase + c);
        int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, phrases.Count / 4096 + 1));
        var partial = new long[workers][];
        int count = phrases.Count;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var uses = new long[vocab.Count];
            var ids = new int[PhraseBytes * 4];
            fixed (TrieNode* n = nodes)
            fixed (int* o = ids)
            {
                for (int e = w; e < count; e += workers)
                {
                    ReadOnlySpan<byte> phrase = phrases.Chunk(e);
                    long weight = phrases.CountOf(e);
                    fixed (byte* b = phrase)
                    {
                        long k = LongestMatch.Run(n, b, phrase.Length, o, ids.Length);
                        for (long t = 0; t < k; t++)
                            if (o[t] >= DatLayout.FirstLearnedId) uses[o[t] - DatLayout.FirstLearnedId] += weight;
                    }
                }
            }
            partial[w] = uses;
        });
        long[] sum = partial[0];
        for (int w = 1; w < workers; w++)
            for (int i = 0; i < sum.Length; i++) sum[i] += partial[w][i];
        return sum;
    }

    /// <summary>Indices by measured use, most used first; ties: the shorter token first, then bytewise.</summary>
    private static int[] ByUse(List<byte[]> vocab, long[] uses)
    {
        var order = new int[vocab.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            int c = uses[b].CompareTo(uses[a]);
            if (c != 0) return c;
            c = vocab[a].Length.CompareTo(vocab[b].Length);
            return c != 0 ? c : vocab[a].AsSpan().SequenceCompareTo(vocab[b]);
        });
        return order;
    }

    private bool Cancelled(ulong done, ulong total) => _progress is not null && _progress(Math.Min(done, total), total);

    private void Report(ulong done, ulong total)
    {
        if (Cancelled(done, total)) throw new OperationCanceledException("cancelled");
    }

    private sealed class ArraySliceDocuments(IReadOnlyList<byte[]> texts, int start, int count) : IDocuments
    {
        public int Count => count;
        public ReadOnlySpan<byte> this[int index] => texts[start + index];
    }

    /// <summary>
    /// The list as JSON (UTF-8), the input format of <c>crayon build</c> and DATBuilder: an array whose
    /// entries are strings for tokens that are valid UTF-8 and <c>{"bytes": "&lt;base64&gt;"}</c> for the
    /// others (partial characters).
    /// </summary>
    public static byte[] ToJson(IReadOnlyList<byte[]> tokens)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            w.WriteStartArray();
            foreach (byte[] t in tokens)
            {
                if (Utf8.IsValid(t)) { w.WriteStringValue(t); continue; }
                w.WriteStartObject();
                w.WriteBase64String("bytes", t);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return ms.ToArray();
    }
}
