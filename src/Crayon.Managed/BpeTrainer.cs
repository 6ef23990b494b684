using Engine = Crayon.Training;

namespace Crayon;

/// <summary>
/// Trains a byte-level BPE vocabulary the way rustbpe (nanochat's trainer) does: split the texts
/// with a pattern (default: GPT-4's), count the unique chunks, then merge the most frequent pair
/// until the vocabulary has the requested size. Feed texts in as many batches as you like (only
/// chunk counts are kept), then <see cref="Train"/>; the result is a <see cref="TiktokenEncoding"/>
/// and can be saved as a <c>.tiktoken</c> rank file. Feed and Train may be called from several
/// threads; they take turns.
/// </summary>
/// <example>
/// <code>
/// var trainer = new BpeTrainer();
/// trainer.Feed(File.ReadLines("corpus.txt"));
/// TiktokenEncoding enc = trainer.Train(4096, new Dictionary&lt;string, int&gt; { ["&lt;|endoftext|&gt;"] = 4096 });
/// trainer.SaveTiktoken("mine.tiktoken");
/// </code>
/// </example>
public sealed class BpeTrainer
{
    private readonly Engine.BpeTrainer _engine;

    /// <summary>A trainer that splits text with <paramref name="pattern"/>.</summary>
    /// <param name="pattern">The split pattern (a regular expression); null: GPT-4's (cl100k_base's), as in rustbpe.</param>
    /// <exception cref="ArgumentException">The pattern is invalid or matches the empty string.</exception>
    public BpeTrainer(string? pattern = null)
    {
        _engine = new Engine.BpeTrainer(pattern);
    }

    /// <summary>The split pattern.</summary>
    public string Pattern => _engine.Pattern;

    /// <summary>The number of distinct chunks counted so far.</summary>
    public int UniqueChunks => _engine.UniqueChunks;

    /// <summary>The vocabulary size of the last <see cref="Train"/> (256, the byte tokens, before any).</summary>
    public int VocabSize => _engine.Encoder.VocabSize;

    /// <summary>Splits and counts a batch of texts over up to <paramref name="threads"/> threads (0: all cores).</summary>
    /// <param name="texts">The texts; read once.</param>
    /// <param name="threads">Worker threads; 0 or less: one per core.</param>
    /// <exception cref="ArgumentException">A text holds a lone surrogate; nothing of this batch is counted.</exception>
    public void Feed(IEnumerable<string> texts, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var docs = new List<byte[]>();
        foreach (string t in texts)
            docs.Add(Utf8Text.ToArray(t ?? throw new ArgumentException("a text is null", nameof(texts)), nameof(texts)));
        FeedUtf8(docs, threads);
    }

    /// <summary>Splits and counts a batch of UTF-8 texts over up to <paramref name="threads"/> threads (0: all cores).</summary>
    /// <param name="utf8Texts">The texts as UTF-8.</param>
    /// <param name="threads">Worker threads; 0 or less: one per core.</param>
    /// <exception cref="ArgumentException">A text is not valid UTF-8; nothing of this batch is counted.</exception>
    public void FeedUtf8(IReadOnlyList<byte[]> utf8Texts, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(utf8Texts);
        for (int i = 0; i < utf8Texts.Count; i++)
            if (utf8Texts[i] is null) throw new ArgumentException($"utf8Texts[{i}] is null", nameof(utf8Texts));
        try { _engine.Feed(new Engine.ArrayDocuments(utf8Texts), threads); }
        catch (Exception e) when (Errors.Translate(e, nameof(utf8Texts)) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// Learns up to <c>vocabSize - 256</c> merges from everything fed so far (fewer when no pair is
    /// left to merge) and returns the encoding: ranks 0..255 are the bytes, then one per merge.
    /// May be called again with another size.
    /// </summary>
    /// <param name="vocabSize">The number of ordinary tokens, at least 256.</param>
    /// <param name="specialTokens">Special tokens of the returned encoding (ids at or above the trained size; null: none).</param>
    /// <param name="cancellationToken">Stops the merge loop (<see cref="OperationCanceledException"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> is below 256.</exception>
    public TiktokenEncoding Train(int vocabSize, IReadOnlyDictionary<string, int>? specialTokens = null,
                                  CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 256);
        Func<long, long, bool>? progress = cancellationToken.CanBeCanceled ? (_, _) => !cancellationToken.IsCancellationRequested : null;
        Engine.MergeEncoder trained = _engine.Train(vocabSize, progress);
        return TiktokenEncoding.FromRanks("trained", Tokens(trained), Pattern, specialTokens);
    }

    /// <summary>Writes the last trained vocabulary as a <c>.tiktoken</c> rank file (<c>base64(token) rank</c> per line).</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    public void SaveTiktoken(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, Engine.TiktokenFile.Write(_engine.Encoder));
    }

    private static byte[][] Tokens(Engine.MergeEncoder encoder)
    {
        var tokens = new byte[encoder.VocabSize][];
        for (int r = 0; r < tokens.Length; r++) tokens[r] = encoder.Token(r).ToArray();
        return tokens;
    }
}
