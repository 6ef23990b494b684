using System.Buffers;
using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;
using Uc = Crayon.PreTokenize.UnicodeClass;

namespace Crayon.Streaming;

/// <summary>
/// Where BPE text can be cut so that both sides encode independently, judged from the text seen so
/// far: the rule for the exact splitters (cl100k and its digit variants, o200k, gpt2) plus the
/// special tokens. docs/streaming.md has the argument; in short:
/// <list type="bullet">
/// <item>c is a cut when the code point before c is a letter or a number (\p{L}, \p{N}) and the one
/// at c is neither a letter, a number, a mark (\p{M}) nor an apostrophe — say a space or a full
/// stop after a word. Every alternative of these patterns that runs over a letter or a number
/// stops at such a code point (letter runs, digit runs, o200k's upper/lower runs and their
/// give-back), an "other" or White_Space run stops at the letter or number before it, a
/// contraction reads at most two code points after its apostrophe, and no piece starts with
/// a letter or number and goes on past a space or punctuation. So the piece before c ends exactly
/// at c, having looked at nothing past the code point at c, and the splitter starts afresh at c
/// (the patterns have no look-behind).</item>
/// <item>No special token the policy selects (allowed or disallowed) may cover c: c must be at
/// least max-special-length - 1 bytes before the end of the text seen (so one still to come cannot
/// cover it) and no occurrence in the text may start before c and end after it.</item>
/// </list>
/// The general regex path (any other pattern) has no such rule: its texts are never cut, so a
/// session holds each text whole (up to its pending limit).
/// </summary>
internal sealed class PieceCuts
{
    private readonly Uc _uc = Uc.Shared;
    private readonly bool _exact;
    private readonly SpecialTokens _specials;
    private readonly bool[] _selected;
    private readonly bool _anySelected;
    private readonly int _maxSpecial;

    public PieceCuts(BpeEncoding encoding, SpecialPolicy policy)
    {
        _exact = encoding.PreTokenizer is Gpt4Splitter or O200kSplitter or Gpt2Splitter;
        _specials = encoding.Specials;
        _selected = new bool[_specials.Count];
        for (int k = 0; k < _selected.Length; k++)
        {
            _selected[k] = (k < policy.Allowed.Length && policy.Allowed[k]) || (k < policy.Disallowed.Length && policy.Disallowed[k]);
            if (_selected[k])
            {
                _anySelected = true;
                _maxSpecial = Math.Max(_maxSpecial, _specials.Bytes(k).Length);
            }
        }
    }

    /// <summary>
    /// The last cut c with floor &lt; c &lt; text.Length, or -1. floor is raised to the last position
    /// checked: a position found not to be a cut stays so as text grows behind it.
    /// </summary>
    public int Last(ReadOnlySpan<byte> text, ref int floor)
    {
        if (!_exact) return -1;
        // A special token still to come must not be able to cover c.
        int limit = Math.Min(text.Length - 1, text.Length - Math.Max(1, _maxSpecial) + 1);
        if (limit <= floor) return -1;
        int c = limit;
        while (c > 0 && (text[c] & 0xC0) == 0x80) c--;
        while (c > floor && c > 0)
        {
            if (Rune.DecodeLastFromUtf8(text[..c], out Rune before, out int beforeLength) != OperationStatus.Done) { c--; continue; }
            if (IsCut(before.Value, text[c..]) && !SpecialCovers(text, c))
            {
                floor = Math.Max(floor, limit);
                return c;
            }
            c -= beforeLength;
        }
        floor = Math.Max(floor, limit);
        return -1;
    }

    private bool IsCut(int before, ReadOnlySpan<byte> rest)
    {
        if ((_uc.Of(before) & (Uc.Letter | Uc.Number)) == 0) return false;
        if (Rune.DecodeFromUtf8(rest, out Rune at, out _) != OperationStatus.Done) return false;
        int cp = at.Value;
        return cp != '\'' && (_uc.Of(cp) & (Uc.Letter | Uc.Number | Uc.Upperish | Uc.Lowerish)) == 0;
    }

    /// <summary>True when a selected special token occurs in text starting before c and ending after it.</summary>
    private bool SpecialCovers(ReadOnlySpan<byte> text, int c)
    {
        if (!_anySelected) return false;
        int from = Math.Max(0, c - _maxSpecial + 1);
        ReadOnlySpan<byte> window = text[..Math.Min(text.Length, c + _maxSpecial - 1)];
        while (from < c && _specials.FindNext(window, from, _selected, out int pos, out int k) && pos < c)
        {
            if (pos + _specials.Bytes(k).Length > c) return true;
            from = pos + 1;
        }
        return false;
    }
}
