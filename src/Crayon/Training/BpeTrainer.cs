namespace Crayon.Training;

/// <summary>
/// Byte-level BPE training with rustbpe's semantics (see <see cref="MergeLoop"/>).
/// Documents are fed in batches (<see cref="Feed"/>); each batch is split into chunks and counted
/// over all cores, then dropped: only the unique chunks and their 64-bit counts are kept.
/// <see cref="Train"/> runs the merge loop on those counts and can be called again with another
/// vocabulary size. Feed and Train serialize on the instance; the trained <see cref="Encoder"/> is
/// immutable and may be used from any thread.
/// </summary>
internal sealed class BpeTrainer
{
    private readonly object _gate = new();
    private ChunkTable _chunks = new(1 << 14);
    private MergeEncoder? _encoder;

    public BpeTrainer(string? pattern = null) : this(ChunkSplitters.Create(pattern))
    {
    }

    /// <summary>A trainer that counts the chunks of any splitter (the vocabulary learner's phrases).</summary>
    public BpeTrainer(IChunkSplitter splitter)
    {
        Splitter = splitter;
    }

    /// <summary>A trainer holding an already trained vocabulary (e.g. read back from a .tiktoken file):
    /// token bytes in rank order, ranks 0..255 being the bytes themselves.</summary>
    public static BpeTrainer FromTokens(string? pattern, IReadOnlyList<byte[]> tokens)
    {
        var t = new BpeTrainer(pattern);
        t._encoder = MergeEncoder.FromTokens(t.Splitter, tokens);
        return t;
    }

    public IChunkSplitter Splitter { get; }

    public string Pattern => Splitter.Pattern;

    /// <summary>Unique chunks counted so far.</summary>
    public int UniqueChunks => _chunks.Count;

    /// <summary>The unique chunks counted so far, with their counts (read-only use).</summary>
    public ChunkTable Chunks => _chunks;

    /// <summary>Bytes held for the counted chunks.</summary>
    public long CountingFootprintBytes => _chunks.FootprintBytes;

    /// <summary>The result of the last <see cref="Train"/>; before any, the 256 byte tokens alone.</summary>
    public MergeEncoder Encoder => _encoder ?? (_encoder = new MergeEncoder(Splitter, []));

    /// <summary>Splits and counts a batch of documents on up to <paramref name="threads"/> threads
    /// (≤ 0: all cores). Invalid UTF-8 is an <see cref="Crayon.PreTokenize.InvalidUtf8Exception"/> and counts nothing
    /// of that batch.</summary>
    public void Feed(IDocuments docs, int threads = 0)
    {
        lock (_gate)
        {
            int n = docs.Count;
            if (n == 0) return;
            int workers = Math.Min(threads <= 0 ? Environment.ProcessorCount : threads, n);
            // One table per worker, documents handed out one at a time (they differ wildly in size).
            // Exactly `workers` tables means exactly `workers` folds; Parallel.For's per-partition
            // locals made many more on busy machines, each rehashing a batch's worth of chunks.
            var tables = new ChunkTable[workers];
            int next = -1;
            void Work(int k)
            {
                var table = new ChunkTable(1 << 12);
                var sink = new CountingSink(table);
                int i;
                while ((i = Interlocked.Increment(ref next)) < n) Splitter.Split(docs[i], sink);
                tables[k] = table;
            }
            if (workers == 1)
            {
                Work(0);
            }
            else
            {
                try
                {
                    Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work);
                }
                catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
                }
            }
            // Folding in only after the whole batch succeeded keeps a bad document from half-counting.
            int first = 0;
            if (_chunks.Count == 0) _chunks = tables[first++];   // the first batch needs no fold
            for (int k = first; k < tables.Length; k++) _chunks.AddAll(tables[k]);
        }
    }

    /// <summary>Learns up to <c>vocabSize - 256</c> merges from everything fed so far.</summary>
    public MergeEncoder Train(int vocabSize, Func<long, long, bool>? progress = null)
    {
        if (vocabSize < 256)
            throw new ArgumentException($"vocab_size must be at least 256 (the byte tokens); got {vocabSize}");
        lock (_gate)
        {
            var counts = new List<long>();
            int[] merges = MergeLoop.Run(_chunks, vocabSize - 256, progress, counts, _byteOrder);
            MergeCounts = counts.ToArray();
            return _encoder = new MergeEncoder(Splitter, merges);
        }
    }

    /// <summary>The pair count of each merge of the last <see cref="Train"/> (empty before).</summary>
    public long[] MergeCounts { get; private set; } = [];

    private byte[]? _byteOrder;

    /// <summary>
    /// Sets the id each byte takes when tied pairs are compared (a permutation of 0..255; null
    /// restores byte value order, rustbpe's). Hugging Face's trainer, for one, numbers its byte
    /// alphabet by the code points of the printable characters that stand in for bytes.
    /// </summary>
    public void SetByteOrder(ReadOnlySpan<byte> order)
    {
        if (order.IsEmpty) { lock (_gate) _byteOrder = null; return; }
        if (order.Length != 256) throw new ArgumentException($"a byte order has 256 entries; got {order.Length}");
        Span<bool> seen = stackalloc bool[256];
        foreach (byte b in order)
        {
            if (seen[b]) throw new ArgumentException($"the byte order is not a permutation of 0..255 ({b} repeats)");
            seen[b] = true;
        }
        lock (_gate) _byteOrder = order.ToArray();
    }

    private sealed class CountingSink(ChunkTable table) : IChunkSink
    {
        public ChunkTable Table { get; } = table;
        public void OnChunk(ReadOnlySpan<byte> chunk) => Table.Add(chunk);
    }
}
