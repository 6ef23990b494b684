using static Crayon.PreTokenize.UnicodeClass;
using Uc = Crayon.PreTokenize.UnicodeClass;

namespace Crayon.PreTokenize;

/// <summary>
/// Exact splitter for the GPT-2 pattern (gpt2, r50k_base, p50k_base):
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// (contractions are case-sensitive here). Letter, number and "other" are disjoint, so the three
/// middle alternatives reduce to: an optional space, then a run of the class of the next code point.
/// </summary>
internal sealed class Gpt2Splitter : PreTokenizer
{
    private readonly Uc _uc = Uc.Shared;

    private const byte Other = 0; // neither letter, number nor White_Space

    public Gpt2Splitter(string pattern) : base(pattern) { }

    private protected override int NextEnd(ReadOnlySpan<byte> s, int i, object? state)
    {
        int n = s.Length;
        int c0 = Decode(s, i, out int l0);
        if (c0 == '\'')
        {
            int m = Contraction.Length(s, i, ignoreCase: false);
            if (m > 0) return i + m;
        }
        byte k0 = Kind(c0);
        if (c0 == ' ' && i + 1 < n)
        {
            int c1 = Decode(s, i + 1, out int l1);
            byte k1 = Kind(c1);
            if (k1 != Space) return Run(s, i + 1 + l1, k1);
        }
        if (k0 != Space) return Run(s, i + l0, k0);

        // \s+(?!\S) | \s+
        int end = i, lastStart = i;
        while (end < n)
        {
            int c = Decode(s, end, out int l);
            if ((_uc.Of(c) & Space) == 0) break;
            lastStart = end;
            end += l;
        }
        if (end == n) return end;
        return lastStart > i ? lastStart : end;
    }

    private byte Kind(int cp)
    {
        byte f = _uc.Of(cp);
        if ((f & Space) != 0) return Space;
        if ((f & Letter) != 0) return Letter;
        if ((f & Number) != 0) return Number;
        return Other;
    }

    private int Run(ReadOnlySpan<byte> s, int j, byte kind)
    {
        while (j < s.Length)
        {
            int c = Decode(s, j, out int l);
            if (Kind(c) != kind) break;
            j += l;
        }
        return j;
    }
}
