using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Crayon.Dat;
using Crayon.Tokenization;
using Crayon.Trie;

namespace Crayon.Learning;

/// <summary>
/// Learns a longest-match vocabulary from sample text (paper §3.2, made concrete):
/// 1. split the text into spans (SpanSplitter) and count each distinct span;
/// 2. every substring of a span that starts and ends on a character boundary and is 2..maxTokenBytes
///    bytes long is a candidate, scored by occurrences × (bytes − 1), the bytes it would save;
/// 3. the best maxTokens candidates form the vocabulary; then, for a few rounds, every distinct span is
///    tokenized with greedy longest match, each token's real saving is measured (uses × (bytes − 1)),
///    and the weakest tokens (every unused one, at least a shrinking share) are replaced by the next
///    candidates. Nested substrings that the longer
///    tokens shadow lose their uses and drop out this way.
/// Everything is ordinal and single-threaded, so the same input always gives the same list. The list
/// is ordered by measured saving, best first (that order becomes the ids, from 260).
/// </summary>
public sealed class VocabularyLearner
{
    public const int Rounds = 10;

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

    public List<byte[]> Learn(IReadOnlyList<byte[]> texts)
    {
        ulong total = (ulong)texts.Count + 2 + Rounds;
        ulong done = 0;
        // 1. Distinct spans with counts. Keys are Latin-1 strings: one char per byte, exact and cheap to hash.
        var spans = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int d = 0; d < texts.Count; d++)
        {
            SpanSplitter.Split(texts[d], (span, valid) =>
            {
                if (!valid || span.Length < 2) return;
                string key = Encoding.Latin1.GetString(span);
                spans[key] = spans.TryGetValue(key, out long c) ? c + 1 : 1;
            });
            Report(++done, total);
        }
        var spanKeys = new string[spans.Count];
        var spanCounts = new long[spans.Count];
        { int i = 0; foreach (var kv in spans) { spanKeys[i] = kv.Key; spanCounts[i] = kv.Value; i++; } }
        spans = null;

        // 2. Candidates.
        var candidates = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int s = 0; s < spanKeys.Length; s++)
        {
            string key = spanKeys[s];
            long count = spanCounts[s];
            for (int i = 0; i < key.Length; i++)
            {
                if (IsContinuation(key[i])) continue;
                for (int j = i + 2; j <= key.Length && j - i <= _maxTokenBytes; j++)
                {
                    if (j < key.Length && IsContinuation(key[j])) continue;
                    string sub = j - i == key.Length ? key : key.Substring(i, j - i);
                    candidates[sub] = candidates.TryGetValue(sub, out long c) ? c + count : count;
                }
            }
        }
        Report(++done, total);
        var pool = new List<(string Key, long Score)>(candidates.Count);
        foreach (var kv in candidates)
            if (kv.Value >= 2) pool.Add((kv.Key, kv.Value * (kv.Key.Length - 1)));
        candidates = null;
        pool.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Key, b.Key));
        Report(++done, total);

        // 3. Select, measure, replace.
        int size = Math.Min(_maxTokens, pool.Count);
        var vocab = new List<string>(size);
        for (int i = 0; i < size; i++) vocab.Add(pool[i].Key);
        int nextCandidate = size;
        long[] saving = [];
        for (int round = 0; round < Rounds; round++)
        {
            saving = Measure(vocab, spanKeys, spanCounts);
            Report(++done, total);
            if (round == Rounds - 1 || nextCandidate >= pool.Count) break;
            // Replace the weakest share (shrinking each round) with fresh candidates.
            int unused = 0;
            foreach (long v in saving) if (v == 0) unused++;
            int replace = Math.Min(pool.Count - nextCandidate, Math.Max(unused, vocab.Count * (Rounds - round) / (Rounds * 5)));
            if (replace <= 0) break;
            int[] order = RankByMeasuredSaving(vocab, saving);
            var keep = new bool[vocab.Count];
            for (int r = 0; r < vocab.Count - replace; r++) keep[order[r]] = true;
            var next = new List<string>(vocab.Count);
            for (int i = 0; i < vocab.Count; i++) if (keep[i]) next.Add(vocab[i]);
            for (int r = 0; r < replace; r++) next.Add(pool[nextCandidate++].Key);
            vocab = next;
        }
        int[] final = RankByMeasuredSaving(vocab, saving);
        var result = new List<byte[]>(vocab.Count);
        foreach (int i in final)
            if (saving[i] > 0) result.Add(Encoding.Latin1.GetBytes(vocab[i]));
        return result;
    }

    /// <summary>Tokenizes every distinct span with the vocabulary; returns each token's bytes saved.</summary>
    private static unsafe long[] Measure(List<string> vocab, string[] spanKeys, long[] spanCounts)
    {
        var keys = new List<(byte[] Key, int Value)>(vocab.Count);
        for (int i = 0; i < vocab.Count; i++) keys.Add((Encoding.Latin1.GetBytes(vocab[i]), DatLayout.FirstLearnedId + i));
        TrieNode[] nodes = DoubleArrayBuilder.Build(keys, c => DatLayout.ByteIdBase + c);
        var uses = new long[vocab.Count];
        byte[] buf = new byte[256];
        int[] ids = new int[256];
        fixed (TrieNode* n = nodes)
        {
            for (int s = 0; s < spanKeys.Length; s++)
            {
                string key = spanKeys[s];
                if (buf.Length < key.Length) { buf = new byte[key.Length * 2]; ids = new int[key.Length * 2]; }
                int len = Encoding.Latin1.GetBytes(key, buf);
                fixed (byte* b = buf)
                fixed (int* o = ids)
                {
                    long k = LongestMatch.Run(n, b, len, o, ids.Length);
                    for (int t = 0; t < k; t++)
                        if (o[t] >= DatLayout.FirstLearnedId) uses[o[t] - DatLayout.FirstLearnedId] += spanCounts[s];
                }
            }
        }
        var saving = new long[vocab.Count];
        for (int i = 0; i < vocab.Count; i++) saving[i] = uses[i] * (vocab[i].Length - 1);
        return saving;
    }

    private static int[] RankByMeasuredSaving(List<string> vocab, long[] saving)
    {
        var order = new int[vocab.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (a, b) => saving[a] != saving[b] ? saving[b].CompareTo(saving[a]) : string.CompareOrdinal(vocab[a], vocab[b]));
        return order;
    }

    private static bool IsContinuation(char latin1Byte) => (latin1Byte & 0xC0) == 0x80;

    private void Report(ulong done, ulong total)
    {
        if (_progress is not null && _progress(done, total))
            throw new OperationCanceledException("cancelled");
    }

    /// <summary>The list as a JSON array of strings (UTF-8), the input format of crayon_dat_build / DATBuilder.</summary>
    public static byte[] ToJson(IReadOnlyList<byte[]> tokens)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            w.WriteStartArray();
            foreach (byte[] t in tokens) w.WriteStringValue(t);
            w.WriteEndArray();
        }
        return ms.ToArray();
    }
}
