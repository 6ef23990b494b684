using System.Text.Json;
using Crayon.Bpe;

namespace Crayon.HfJson;

/// <summary>
/// A byte-level BPE model as the exact engine's ranks: bytes 0..255 have ranks 0..255, the token of
/// merge k has rank 256 + k, and <see cref="IdOf"/> maps a rank to the file's id (−1: a byte with no
/// token). tiktoken merges by the rank of the concatenation, HF by the rank of the merge; they agree
/// when rank-order BPE on each token's own bytes ends with that token's merge, which is checked for
/// every token (docs/hf-tokenizers.md, "Why the tiktoken engine gives HF's ids"); a file where they
/// could differ is refused. Tokens no merge makes are kept only with ignore_merges (HF's whole-piece
/// lookup), and only when rank-order BPE can make them too.
/// </summary>
internal sealed class HfBpeModel
{
    public BpeEncoding Engine { get; }
    public int[] IdOf { get; }
    public int[] LengthOf { get; }
    public Dictionary<string, int> Vocab { get; }

    public HfBpeModel(JsonElement model, string pattern)
    {
        string type = Str(model, "type") ?? "?";
        if (type != "BPE") throw new UnsupportedTokenizerException($"model {type} is not supported (only byte-level BPE)");
        if (model.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() != 0)
            throw new UnsupportedTokenizerException("model BPE with dropout is not supported");
        if (Bool(model, "byte_fallback")) throw new UnsupportedTokenizerException("model BPE with byte_fallback is not supported");
        foreach (string key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (!string.IsNullOrEmpty(Str(model, key))) throw new UnsupportedTokenizerException($"model BPE with {key} is not supported");
        bool ignoreMerges = Bool(model, "ignore_merges");

        Vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        if (model.TryGetProperty("vocab", out var vocab) && vocab.ValueKind == JsonValueKind.Object)
            foreach (var kv in vocab.EnumerateObject()) Vocab[kv.Name] = kv.Value.GetInt32();

        // Token strings stay in the byte-level alphabet (one char per byte), so every part of a
        // token is a slice of it and rank lookups need no allocation.
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new List<int>(Vocab.Count + 256);
        for (int b = 0; b < 256; b++)
        {
            string c = ByteLevelAlphabet.CharOf((byte)b).ToString();
            ranks[c] = b;
            ids.Add(Vocab.TryGetValue(c, out int id) ? id : -1);
        }
        var madeBy = new Dictionary<string, int>(StringComparer.Ordinal);   // token → length of its merge's left part
        if (model.TryGetProperty("merges", out var merges) && merges.ValueKind == JsonValueKind.Array)
            foreach (var m in merges.EnumerateArray())
            {
                (string a, string b) = Merge(m);
                string t = a + b;
                if (!Vocab.ContainsKey(a) || !Vocab.ContainsKey(b) || !Vocab.TryGetValue(t, out int id))
                    throw new UnsupportedTokenizerException($"merge '{a}' '{b}': a token is missing from the vocab");
                if (ByteLevelAlphabet.BytesOf(t) is null)
                    throw new UnsupportedTokenizerException($"merge '{a}' '{b}' is not over the byte-level alphabet");
                if (!madeBy.TryAdd(t, a.Length)) throw new UnsupportedTokenizerException($"token '{t}' is made by two merges");
                ranks[t] = ids.Count;
                ids.Add(id);
            }
        if (ignoreMerges)
            foreach (var (s, id) in Vocab)
                if (s.Length > 1 && !madeBy.ContainsKey(s) && ByteLevelAlphabet.BytesOf(s) is not null)
                {
                    ranks[s] = ids.Count;
                    ids.Add(id);
                }

        var lookup = ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        var dead = new List<string>();
        foreach (var (t, _) in ranks)
        {
            if (t.Length < 2) continue;
            int? last = RankOrderLastSplit(t, lookup);
            if (last is null) { dead.Add(t); continue; }
            bool own = madeBy.TryGetValue(t, out int left);
            if (!own || left != last)
                throw new UnsupportedTokenizerException(
                    $"token '{t}': rank-order BPE makes it from '{t[..last.Value]}' + '{t[last.Value..]}', but " +
                    (own ? $"its merge is '{t[..left]}' + '{t[left..]}'" : "no merge makes it") +
                    "; HF's merge-priority BPE may differ from tiktoken's here");
        }
        if (!ignoreMerges) foreach (string t in dead) ranks.Remove(t);

        IdOf = ids.ToArray();
        LengthOf = new int[ids.Count];
        var tokens = new List<byte[]>(ranks.Count);
        var rankList = new List<int>(ranks.Count);
        foreach (var (t, r) in ranks)
        {
            tokens.Add(ByteLevelAlphabet.BytesOf(t)!);
            rankList.Add(r);
            LengthOf[r] = t.Length;
        }
        try
        {
            Engine = BpeEncoding.FromRanks(tokens, rankList, pattern, [], []);
        }
        catch (ArgumentException e)
        {
            throw new UnsupportedTokenizerException($"pre_tokenizer split regex {pattern} is not supported: {e.Message}");
        }
    }

    /// <summary>tiktoken's merge loop on one token's bytes: where the last merge split it, or null when it never becomes one part.</summary>
    private static int? RankOrderLastSplit(string token, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ranks)
    {
        var starts = new List<int>(token.Length + 1);
        for (int i = 0; i <= token.Length; i++) starts.Add(i);   // part k is token[starts[k]..starts[k + 1])
        int lastSplit = -1;
        while (starts.Count > 2)
        {
            int best = int.MaxValue, at = -1;
            for (int k = 0; k + 2 < starts.Count; k++)
                if (ranks.TryGetValue(token.AsSpan(starts[k], starts[k + 2] - starts[k]), out int r) && r < best) { best = r; at = k; }
            if (at < 0) return null;
            lastSplit = starts[at + 1] - starts[at];
            if (starts.Count == 3) return lastSplit;
            starts.RemoveAt(at + 1);
        }
        return null;
    }

    private static (string, string) Merge(JsonElement m)
    {
        if (m.ValueKind == JsonValueKind.String)
        {
            string s = m.GetString()!;
            int space = s.IndexOf(' ');
            if (space < 0) throw new InvalidDataException($"merge '{s}' is not two tokens separated by a space");
            return (s[..space], s[(space + 1)..]);
        }
        if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
            return (m[0].GetString() ?? "", m[1].GetString() ?? "");
        throw new InvalidDataException("a merge is neither \"a b\" nor [a, b]");
    }

    internal static string? Str(JsonElement e, string key) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static bool Bool(JsonElement e, string key, bool otherwise = false) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : otherwise;
}
