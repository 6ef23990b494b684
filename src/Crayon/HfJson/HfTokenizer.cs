using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Crayon.PreTokenize;

namespace Crayon.HfJson;

/// <summary>
/// A Hugging Face tokenizer.json with a byte-level BPE model, encoded by the exact BPE engine with the
/// ids HF gives: added tokens first (non-normalized ones on the whole text, then normalized ones on
/// what is left), ByteLevel's prefix space, the model through <see cref="HfBpeModel"/>, then the
/// post-processor's BOS/EOS. What it supports and refuses is the same as crayon.compat.tokenizers
/// (docs/hf-tokenizers.md); anything else is an <see cref="UnsupportedTokenizerException"/> naming the
/// component. Immutable after construction: every member is thread-safe.
/// </summary>
public sealed class HfTokenizer
{
    private readonly HfBpeModel _model;
    private readonly HfAddedSet _raw, _normalized;
    private readonly Dictionary<int, HfAddedToken> _addedById = [];
    private readonly Dictionary<int, string> _tokenOf = [];
    private readonly bool _prefixSpace, _byteLevelDecoder;
    private readonly List<int[]?> _template = [null];   // null: the text's ids; else fixed ids

    /// <summary>Number of ids: the model's vocabulary and the added tokens (HF's get_vocab_size()).</summary>
    public int VocabSize { get; }

    public static HfTokenizer FromJson(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8Json.ToArray()); }
        catch (JsonException e) { throw new InvalidDataException($"tokenizer.json is not valid JSON: {e.Message}"); }
        using (doc) return new HfTokenizer(doc.RootElement);
    }

    public static HfTokenizer FromFile(string path) => FromJson(File.ReadAllBytes(path));

    private HfTokenizer(JsonElement spec)
    {
        if (spec.ValueKind != JsonValueKind.Object) throw new InvalidDataException("tokenizer.json must be a JSON object");
        foreach (string key in new[] { "truncation", "padding" })
            if (spec.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null)
                throw new UnsupportedTokenizerException($"{key} is not supported (set it to null)");
        if (spec.TryGetProperty("normalizer", out var norm) && norm.ValueKind != JsonValueKind.Null)
            throw new UnsupportedTokenizerException($"normalizer {Kind(norm)} is not supported");
        (string pattern, _prefixSpace) = Pattern(spec.TryGetProperty("pre_tokenizer", out var pre) ? pre : default);
        if (spec.TryGetProperty("decoder", out var dec) && dec.ValueKind != JsonValueKind.Null)
        {
            if (Kind(dec) != "ByteLevel") throw new UnsupportedTokenizerException($"decoder {Kind(dec)} is not supported (only ByteLevel)");
            _byteLevelDecoder = true;
        }
        if (!spec.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException("tokenizer.json has no model");
        _model = new HfBpeModel(model, pattern);
        var added = HfAddedSet.Read(spec.TryGetProperty("added_tokens", out var items) ? items : default, _model.Vocab);
        _raw = new HfAddedSet(added.Where(t => !t.Normalized));
        _normalized = new HfAddedSet(added.Where(t => t.Normalized));
        foreach (var (s, id) in _model.Vocab) _tokenOf[id] = s;
        foreach (var t in added) { _addedById[t.Id] = t; _tokenOf[t.Id] = t.Text; }
        var names = new HashSet<string>(_model.Vocab.Keys, StringComparer.Ordinal);
        foreach (var t in added) names.Add(t.Text);
        VocabSize = names.Count;
        if (spec.TryGetProperty("post_processor", out var post) && post.ValueKind != JsonValueKind.Null) ReadPost(post);
    }

    /// <summary>Ids of valid UTF-8 text; add_special_tokens applies the post-processor's BOS/EOS.</summary>
    public int[] Encode(ReadOnlySpan<byte> text, bool addSpecialTokens)
    {
        if (!Utf8.IsValid(text)) throw InvalidUtf8Exception.At(text);   // HF takes str
        var segments = new List<HfSegment>();
        var raw = new List<HfSegment>();
        _raw.Find(text, 0, text.Length, raw);
        foreach (var s in raw)
            if (s.Token is not null) segments.Add(s);
            else _normalized.Find(text, s.Start, s.End, segments);
        var ids = new List<int>(text.Length / 3 + 4);
        byte[] prefixed = [];
        foreach (var s in segments)
        {
            if (s.Token is not null) { ids.Add(s.Token.Id); continue; }
            ReadOnlySpan<byte> piece = text[s.Start..s.End];
            if (_prefixSpace && piece[0] != (byte)' ')
            {
                if (prefixed.Length < piece.Length + 1) prefixed = new byte[piece.Length + 1];
                prefixed[0] = (byte)' ';
                piece.CopyTo(prefixed.AsSpan(1));
                piece = prefixed.AsSpan(0, piece.Length + 1);
            }
            ModelIds(piece, ids);
        }
        if (!addSpecialTokens || _template.Count == 1) return ids.ToArray();
        var withSpecials = new List<int>(ids.Count + 4);
        foreach (int[]? part in _template)
            if (part is null) withSpecials.AddRange(ids); else withSpecials.AddRange(part);
        return withSpecials.ToArray();
    }

    private void ModelIds(ReadOnlySpan<byte> piece, List<int> ids)
    {
        int[] ranks = _model.Engine.Encode(piece, Bpe.SpecialPolicy.None);
        long covered = 0;
        foreach (int r in ranks)
        {
            int id = _model.IdOf[r];
            covered += _model.LengthOf[r];
            if (id < 0)
                throw new UnsupportedTokenizerException($"byte 0x{piece[(int)covered - 1]:x2} has no token in the vocab " +
                                                        "(HF would drop it); cannot encode this text");
            ids.Add(id);
        }
        if (covered != piece.Length)
            throw new UnsupportedTokenizerException("the split pattern left part of the text unmatched (HF keeps it); " +
                                                    "cannot encode this text exactly");
    }

    /// <summary>The text of ids as UTF-8 bytes (HF's decode before its UTF-8 step); unknown ids are
    /// skipped, as HF does, and special added tokens too when skipSpecialTokens.</summary>
    public byte[] Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var output = new List<byte>(ids.Length * 4);
        bool first = true;
        foreach (int id in ids)
        {
            if (!_tokenOf.TryGetValue(id, out string? token)) continue;
            if (skipSpecialTokens && _addedById.TryGetValue(id, out var a) && a.Special) continue;
            if (!_byteLevelDecoder)
            {
                if (!first) output.Add((byte)' ');
                output.AddRange(Encoding.UTF8.GetBytes(token));
            }
            else output.AddRange(ByteLevelAlphabet.BytesOf(token) ?? Encoding.UTF8.GetBytes(token));
            first = false;
        }
        return output.ToArray();
    }

    private static string Kind(JsonElement e) => HfBpeModel.Str(e, "type") ?? "?";

    /// <summary>The split regex of a supported pre-tokenizer, and whether ByteLevel adds a prefix space.</summary>
    private static (string Pattern, bool PrefixSpace) Pattern(JsonElement pre)
    {
        if (pre.ValueKind != JsonValueKind.Object)
            throw new UnsupportedTokenizerException("a tokenizer without a pre-tokenizer is not supported (needs ByteLevel)");
        var steps = new List<JsonElement>();
        if (Kind(pre) == "Sequence" && pre.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array)
            steps.AddRange(list.EnumerateArray());
        else steps.Add(pre);
        string? pattern = null;
        for (int i = 0; i < steps.Count; i++)
        {
            JsonElement p = steps[i];
            string kind = Kind(p);
            if (kind == "Split" && i == 0 && steps.Count == 2)
            {
                if (!p.TryGetProperty("pattern", out var pat) || pat.ValueKind != JsonValueKind.Object || HfBpeModel.Str(pat, "Regex") is not string regex)
                    throw new UnsupportedTokenizerException("pre_tokenizer Split with a String pattern is not supported");
                if (HfBpeModel.Str(p, "behavior") != "Isolated" || HfBpeModel.Bool(p, "invert"))
                    throw new UnsupportedTokenizerException("pre_tokenizer Split is supported with behavior Isolated and invert false only");
                pattern = regex;
            }
            else if (kind == "ByteLevel" && i == steps.Count - 1)
            {
                if (HfBpeModel.Bool(p, "add_prefix_space") && steps.Count > 1)
                    throw new UnsupportedTokenizerException("pre_tokenizer ByteLevel with add_prefix_space=true after a Split is not supported");
                if (HfBpeModel.Bool(p, "use_regex", true))
                {
                    if (pattern is not null)
                        throw new UnsupportedTokenizerException("pre_tokenizer Split followed by ByteLevel(use_regex=true) is not supported");
                    pattern = KnownPatterns.Gpt2;
                }
                else if (pattern is null)
                    throw new UnsupportedTokenizerException("pre_tokenizer ByteLevel(use_regex=false) without a Split is not supported");
            }
            else throw new UnsupportedTokenizerException($"pre_tokenizer {kind} (in this position) is not supported");
        }
        if (pattern is null) throw new UnsupportedTokenizerException("the pre_tokenizer must end with ByteLevel");
        return (pattern, HfBpeModel.Bool(steps[^1], "add_prefix_space"));
    }

    /// <summary>BOS/EOS of TemplateProcessing (single sequence) or RobertaProcessing; ByteLevel only trims offsets.</summary>
    private void ReadPost(JsonElement post)
    {
        var steps = new List<JsonElement>();
        if (Kind(post) == "Sequence" && post.TryGetProperty("processors", out var list) && list.ValueKind == JsonValueKind.Array)
            steps.AddRange(list.EnumerateArray());
        else steps.Add(post);
        foreach (JsonElement p in steps)
        {
            switch (Kind(p))
            {
                case "ByteLevel":
                    break;
                case "TemplateProcessing":
                {
                    var parts = new List<int[]?>();
                    p.TryGetProperty("special_tokens", out var specials);
                    if (p.TryGetProperty("single", out var single) && single.ValueKind == JsonValueKind.Array)
                        foreach (var piece in single.EnumerateArray())
                        {
                            if (piece.TryGetProperty("Sequence", out var seq))
                            {
                                if (HfBpeModel.Str(seq, "id") != "A")
                                    throw new UnsupportedTokenizerException("TemplateProcessing: the single template may only use $A");
                                parts.Add(null);
                                continue;
                            }
                            string name = piece.TryGetProperty("SpecialToken", out var st) ? HfBpeModel.Str(st, "id") ?? "" : "";
                            if (specials.ValueKind != JsonValueKind.Object || !specials.TryGetProperty(name, out var sp) ||
                                !sp.TryGetProperty("ids", out var spIds) || spIds.ValueKind != JsonValueKind.Array)
                                throw new UnsupportedTokenizerException($"TemplateProcessing: special token '{name}' is not defined");
                            parts.Add(spIds.EnumerateArray().Select(x => x.GetInt32()).ToArray());
                        }
                    Apply(parts);
                    break;
                }
                case "RobertaProcessing":
                {
                    int cls = p.GetProperty("cls")[1].GetInt32(), sep = p.GetProperty("sep")[1].GetInt32();
                    Apply([[cls], null, [sep]]);
                    break;
                }
                default:
                    throw new UnsupportedTokenizerException($"post_processor {Kind(p)} is not supported");
            }
        }
    }

    /// <summary>Composes a template onto the current one (a Sequence applies its processors in order).</summary>
    private void Apply(List<int[]?> parts)
    {
        var composed = new List<int[]?>();
        foreach (int[]? part in parts)
            if (part is null) composed.AddRange(_template); else composed.Add(part);
        _template.Clear();
        _template.AddRange(composed);
    }
}
