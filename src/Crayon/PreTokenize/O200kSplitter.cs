using System.Runtime.CompilerServices;
using static Crayon.PreTokenize.UnicodeClass;
using Uc = Crayon.PreTokenize.UnicodeClass;

namespace Crayon.PreTokenize;

/// <summary>
/// Exact splitter for the o200k_base pattern:
/// <c>[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c>
/// <c>|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c>
/// <c>|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// </summary>
/// <remarks>
/// The two word alternatives overlap (Lm, Lo and marks are in both classes) and the optional prefix
/// can itself be a mark, so they are evaluated in the regex's own backtracking order: alternative 1
/// with the prefix, alternative 1 without it, alternative 2 with, alternative 2 without.
/// Alternative 1 from position p: the "upper" run <c>U*</c> is greedy; if the code point after it is
/// "lower", the lower run follows; otherwise <c>U*</c> gives back code points until one of them is
/// itself "lower" (the last Lm/Lo/M in the run), which then forms <c>L+</c> alone.
/// </remarks>
internal sealed class O200kSplitter : PreTokenizer
{
    private readonly Uc _uc = Uc.Shared;

    private readonly int _maxDigits;

    public O200kSplitter(string pattern, int maxDigits) : base(pattern)
    {
        if (maxDigits < 1) throw new ArgumentOutOfRangeException(nameof(maxDigits));
        _maxDigits = maxDigits;
    }

    public int MaxDigits => _maxDigits;

    private protected override int NextEnd(ReadOnlySpan<byte> s, int i, object? state) => PieceEnd(s, i);

    /// <summary>The end of the piece that starts at <paramref name="i"/> (non-virtual: the encoder's loop calls it directly).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int PieceEnd(ReadOnlySpan<byte> s, int i)
    {
        // Inlined into the caller's loop: an optional space, at most one ASCII capital, then ASCII
        // lower-case letters that end within 16 bytes at an ASCII byte other than an apostrophe (which
        // may start a contraction suffix): alternative 1, as PieceEndAt finds it. The rest call PieceEndAt.
        int j = s[i] == ' ' ? i + 1 : i;
        if (j + 18 <= s.Length)
        {
            if ((uint)(s[j] - 'A') < 26) j++;
            if ((uint)(s[j] - 'a') < 26)
            {
                int end = j + 1 + AsciiLetters16(s, j + 1, lowerOnly: true);
                if (end <= j + 16 && s[end] < 0x80 && s[end] != '\'') return end;
            }
        }
        return PieceEndAt(s, i);
    }

    private int PieceEndAt(ReadOnlySpan<byte> s, int i)
    {
        int n = s.Length;
        // Most pieces of English and code: an optional space, ASCII capitals, then an ASCII lower-case
        // letter. Alternative 1 (with the space as its prefix) matches, and its U* stops exactly before
        // that letter, as the general path below would find after decoding every code point.
        byte b0 = s[i];
        if (b0 == ' ' || (uint)((b0 | 0x20) - 'a') < 26)
        {
            int k = b0 == ' ' ? i + 1 : i;
            while (k < n && (uint)(s[k] - 'A') < 26) k++;
            if (k < n && (uint)(s[k] - 'a') < 26) return Suffix(s, LowerRun(s, k + 1));
        }

        int c0 = Decode(s, i, out int l0);
        byte f0 = _uc.Of(c0);
        int j = i + l0;
        bool prefix = (f0 & (Letter | Number)) == 0 && c0 != '\r' && c0 != '\n' && j < n;

        // Both word alternatives start with an upper- or lower-class code point (letter or mark), at i
        // or, after the prefix, at j: where neither is one (punctuation, digits, spaces), skip all four tries.
        bool wordAtI = (f0 & (Upperish | Lowerish)) != 0;
        bool wordAtJ = prefix && (_uc.Of(Decode(s, j, out _)) & (Upperish | Lowerish)) != 0;
        int e;
        if (wordAtJ && (e = WordLowerTail(s, j)) >= 0) return e;
        if (wordAtI && (e = WordLowerTail(s, i)) >= 0) return e;
        if (wordAtJ && (e = WordUpperHead(s, j)) >= 0) return e;
        if (wordAtI && (e = WordUpperHead(s, i)) >= 0) return e;

        if ((f0 & Number) != 0) return GptRuns.Numbers(_uc, s, j, _maxDigits);

        if (c0 == ' ' && j < n)
        {
            int c1 = Decode(s, j, out int l1);
            if ((_uc.Of(c1) & (Letter | Number | Space)) == 0) return GptRuns.Other(_uc, s, j + l1, slash: true);
        }
        if ((f0 & Space) == 0) return GptRuns.Other(_uc, s, j, slash: true);

        return GptRuns.WhiteSpace(_uc, s, i);
    }

    /// <summary>Alternative 1 without its prefix, from p: end offset, or -1 when it does not match.</summary>
    private int WordLowerTail(ReadOnlySpan<byte> s, int p)
    {
        int n = s.Length, j = p, lastLowerEnd = -1;
        while (j < n)
        {
            int c = Decode(s, j, out int l);
            byte f = _uc.Of(c);
            if ((f & Upperish) == 0)
            {
                if ((f & Lowerish) != 0) return Suffix(s, LowerRun(s, j + l));
                break;
            }
            j += l;
            if ((f & Lowerish) != 0)
            {
                lastLowerEnd = j;
                // After an ideograph or syllable, the rest of such a run without decoding: each code
                // point of both classes only moves both ends along.
                if ((f & RunOfThree) != 0) lastLowerEnd = j = _uc.ThreeByteRun(s, j, Upperish | Lowerish);
            }
        }
        // The code point after U* is not lower: give back to the last upper-run member that is lower.
        return lastLowerEnd < 0 ? -1 : Suffix(s, lastLowerEnd);
    }

    /// <summary>Alternative 2 without its prefix, from p: end offset, or -1.</summary>
    private int WordUpperHead(ReadOnlySpan<byte> s, int p)
    {
        int n = s.Length, j = p;
        while (j < n)
        {
            int c = Decode(s, j, out int l);
            if ((_uc.Of(c) & Upperish) == 0) break;
            j += l;
        }
        if (j == p) return -1;
        return Suffix(s, LowerRun(s, j));
    }

    private int LowerRun(ReadOnlySpan<byte> s, int j)
    {
        j = AsciiLetters(s, j, lowerOnly: true);
        ReadOnlySpan<byte> ascii = _uc.Ascii;
        while (j < s.Length)
        {
            // ASCII lower-case letters are most of English and code: one table load, no decode.
            byte b = s[j];
            if (b < 0x80)
            {
                if ((ascii[b] & Lowerish) == 0) break;
                j++;
                continue;
            }
            int c = Decode(s, j, out int l);
            byte f = _uc.Of(c);
            if ((f & Lowerish) == 0) break;
            j += l;
            if ((f & RunOfThree) != 0) j = _uc.ThreeByteRun(s, j, Lowerish);
        }
        return j;
    }

    private int Suffix(ReadOnlySpan<byte> s, int j) => j + Contraction.Length(s, j, ignoreCase: true);
}
