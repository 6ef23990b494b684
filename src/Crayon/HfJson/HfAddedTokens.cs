using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Crayon.HfJson;

/// <summary>One entry of a tokenizer.json's added_tokens, with the id HF gives it on loading.</summary>
internal sealed class HfAddedToken(int id, byte[] content, string text, bool special, bool lstrip, bool rstrip,
                                   bool normalized, bool singleWord)
{
    public int Id { get; set; } = id;
    public byte[] Content { get; } = content;
    public string Text { get; } = text;
    public bool Special { get; } = special;
    public bool Lstrip { get; } = lstrip;
    public bool Rstrip { get; } = rstrip;
    public bool Normalized { get; } = normalized;
    public bool SingleWord { get; } = singleWord;
}

/// <summary>A piece of the input: an added token's match (with the whitespace it strips), or text for the model.</summary>
internal readonly record struct HfSegment(HfAddedToken? Token, int Start, int End);

/// <summary>
/// HF's AddedVocabulary on UTF-8 text: leftmost-longest matches of a set of added tokens, where a
/// single_word token next to a word character is skipped and lstrip/rstrip take the whitespace
/// around a match. Matching bytes equals matching characters on valid UTF-8 (a match can only start
/// on a lead byte and end before one).
/// </summary>
internal sealed class HfAddedSet
{
    private readonly Dictionary<byte, HfAddedToken[]> _byFirstByte = [];

    public HfAddedSet(IEnumerable<HfAddedToken> tokens)
    {
        foreach (var group in tokens.GroupBy(t => t.Content[0]))
            _byFirstByte[group.Key] = group.OrderByDescending(t => t.Content.Length).ToArray();
    }

    /// <summary>Segments covering text[start..end) (empty text: none).</summary>
    public void Find(ReadOnlySpan<byte> text, int start, int end, List<HfSegment> output)
    {
        int done = start;   // where the previous match (with its stripped whitespace) ended
        int i = start;
        while (i < end)
        {
            HfAddedToken? hit = Longest(text, i, end);
            if (hit is null) { i++; continue; }
            int s = i, e = i + hit.Content.Length;
            i = e;   // matches never overlap, skipped or not (aho-corasick's iteration)
            if (hit.SingleWord && ((s > start && IsWordChar(LastRune(text[start..s]))) || (e < end && IsWordChar(FirstRune(text[e..end])))))
                continue;
            if (hit.Lstrip)
            {
                while (s > start && IsWhitespace(LastRune(text[start..s]), out int n)) s -= n;
                s = Math.Max(s, done);   // whitespace an earlier match took stays with it
            }
            if (hit.Rstrip)
                while (e < end && IsWhitespace(FirstRune(text[e..end]), out int n)) e += n;
            if (done < s) output.Add(new HfSegment(null, done, s));
            output.Add(new HfSegment(hit, s, e));
            done = e;
        }
        if (done < end) output.Add(new HfSegment(null, done, end));
    }

    private HfAddedToken? Longest(ReadOnlySpan<byte> text, int at, int end)
    {
        if (!_byFirstByte.TryGetValue(text[at], out var candidates)) return null;
        foreach (var t in candidates)   // longest first
            if (t.Content.Length <= end - at && text.Slice(at, t.Content.Length).SequenceEqual(t.Content)) return t;
        return null;
    }

    private static Rune LastRune(ReadOnlySpan<byte> s) { Rune.DecodeLastFromUtf8(s, out Rune r, out _); return r; }
    private static Rune FirstRune(ReadOnlySpan<byte> s) { Rune.DecodeFromUtf8(s, out Rune r, out _); return r; }

    /// <summary>Rust regex's \s, which HF's lstrip/rstrip use: White_Space.</summary>
    private static bool IsWhitespace(Rune r, out int utf8Length)
    {
        utf8Length = r.Utf8SequenceLength;
        int c = r.Value;
        return c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029
                 or 0x202F or 0x205F or 0x3000;
    }

    /// <summary>
    /// Rust regex's Unicode \w, which HF's single_word uses: Alphabetic (letters, Nl and the
    /// enclosed/squared Latin letters; the rest of Other_Alphabetic is marks), marks, decimal digits,
    /// connector punctuation, ZWNJ and ZWJ.
    /// </summary>
    private static bool IsWordChar(Rune r)
    {
        int c = r.Value;
        if (c is 0x200C or 0x200D or (>= 0x24B6 and <= 0x24E9) or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169)
                 or (>= 0x1F170 and <= 0x1F189)) return true;
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber
                or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
            _ => false,
        };
    }

    /// <summary>The added tokens with the ids HF assigns on loading: the model's id when the content is
    /// in its vocab, else the next free id (the file's "id" is only checked by HF, with a warning).</summary>
    public static List<HfAddedToken> Read(JsonElement items, Dictionary<string, int> vocab)
    {
        var byContent = new Dictionary<string, HfAddedToken>(StringComparer.Ordinal);
        var order = new List<HfAddedToken>();
        if (items.ValueKind != JsonValueKind.Array) return order;
        foreach (var d in items.EnumerateArray())
        {
            string content = HfBpeModel.Str(d, "content") ?? "";
            if (content.Length == 0) throw new UnsupportedTokenizerException("an added token with empty content is not supported");
            bool special = HfBpeModel.Bool(d, "special");
            var t = new HfAddedToken(0, Encoding.UTF8.GetBytes(content), content, special, HfBpeModel.Bool(d, "lstrip"),
                                     HfBpeModel.Bool(d, "rstrip"), HfBpeModel.Bool(d, "normalized", !special),
                                     HfBpeModel.Bool(d, "single_word"));
            if (byContent.TryGetValue(content, out var seen)) t.Id = seen.Id;
            else if (vocab.TryGetValue(content, out int id)) t.Id = id;
            else if (order.Count > 0)
            {
                int top = order.Max(a => a.Id);
                t.Id = top >= vocab.Count || vocab.Count == 0 ? top + 1 : vocab.Count;
            }
            else t.Id = vocab.Count;
            if (seen is not null) order[order.IndexOf(seen)] = t; else order.Add(t);
            byContent[content] = t;
        }
        return order;
    }
}
