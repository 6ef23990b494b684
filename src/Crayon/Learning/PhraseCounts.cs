using Crayon.Training;

namespace Crayon.Learning;

/// <summary>
/// The learner's view of its training text: every distinct phrase (<see cref="PhraseSplitter"/>)
/// with its count. Text is fed in batches of any size and not kept, so a stream of any length can
/// be learned from with memory that follows the distinct phrases only. Feed serialises on the
/// instance; counting inside a batch runs on all cores.
/// </summary>
public sealed class PhraseCounts
{
    private const int Batch = 512;
    private readonly BpeTrainer _counter;

    public PhraseCounts(int maxTokenBytes)
    {
        if (maxTokenBytes < 2 || maxTokenBytes > 256) throw new ArgumentException("max_token_bytes must be in 2..256");
        MaxTokenBytes = maxTokenBytes;
        _counter = new BpeTrainer(new PhraseSplitter(Math.Min(VocabularyLearner.PhraseBytes, maxTokenBytes)));
    }

    public int MaxTokenBytes { get; }

    public long DocumentsFed { get; private set; }

    public long BytesFed { get; private set; }

    internal ChunkTable Table => _counter.Chunks;

    internal IChunkSplitter Splitter => _counter.Splitter;

    /// <summary>Counts the phrases of texts; <paramref name="afterBatch"/> runs after every 512 documents.</summary>
    public void Feed(IReadOnlyList<byte[]> texts, Action? afterBatch = null)
    {
        for (int d = 0; d < texts.Count; d += Batch)
        {
            int n = Math.Min(Batch, texts.Count - d);
            _counter.Feed(new SliceDocuments(texts, d, n));
            for (int i = d; i < d + n; i++) BytesFed += texts[i].Length;
            DocumentsFed += n;
            afterBatch?.Invoke();
        }
    }

    /// <summary>Progress steps <see cref="Feed"/> reports for this many documents.</summary>
    public static ulong FeedSteps(int documents) => (ulong)((documents + Batch - 1) / Batch);

    private sealed class SliceDocuments(IReadOnlyList<byte[]> texts, int start, int count) : IDocuments
    {
        public int Count => count;
        public ReadOnlySpan<byte> this[int index] => texts[start + index];
    }
}
