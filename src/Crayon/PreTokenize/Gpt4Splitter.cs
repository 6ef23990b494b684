using System.Runtime.CompilerServices;
using static Crayon.PreTokenize.UnicodeClass;
using Uc = Crayon.PreTokenize.UnicodeClass;

namespace Crayon.PreTokenize;

/// <summary>
/// Exact splitter for the GPT-4 (cl100k_base) pattern and its digit-run variants (nanochat uses 2):
/// <c>'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,k}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+</c>
/// </summary>
/// <remarks>
/// The alternatives are tried in order, as the backtracking regex does (leftmost-first). Because
/// every code point is exactly one of letter / number / White_Space / other, each alternative reduces
/// to a look at the first one or two code points and a run scan:
/// <list type="number">
/// <item>apostrophe + contraction;</item>
/// <item>a letter run, optionally preceded by one code point that is not \r, \n, letter or number;</item>
/// <item>1..k numbers;</item>
/// <item>an optional space, a run of "other" code points, then any \r and \n;</item>
/// <item>a White_Space run up to and including its last \r or \n (backtracking of <c>\s*</c>);</item>
/// <item>a White_Space run at the end of text, or all of it but its last code point
///       (backtracking of <c>\s+</c> until <c>(?!\S)</c> holds);</item>
/// <item>a single White_Space code point followed by non-space.</item>
/// </list>
/// </remarks>
internal sealed class Gpt4Splitter : PreTokenizer
{
    private readonly Uc _uc = Uc.Shared;

    private readonly int _maxDigits;

    public Gpt4Splitter(string pattern, int maxDigits) : base(pattern)
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
        // Inlined into the caller's loop: an ASCII word, alone or after one space, that ends at an
        // ASCII byte within 16 bytes (most pieces of English and code); the rest call PieceEndAt.
        int j = s[i] == ' ' ? i + 1 : i;
        if (j + 17 <= s.Length && IsAsciiLetter(s[j]))
        {
            int end = j + 1 + AsciiLetters16(s, j + 1, lowerOnly: false);
            if (end <= j + 16 && s[end] < 0x80) return end;
        }
        return PieceEndAt(s, i);
    }

    private int PieceEndAt(ReadOnlySpan<byte> s, int i)
    {
        int n = s.Length;
        // Most pieces of English and code are an ASCII word, alone or after one space: alternative 2
        // without decoding or classifying the first code points.
        byte b0 = s[i];
        if (b0 == ' ' && i + 1 < n)
        {
            if (IsAsciiLetter(s[i + 1])) return LetterRun(s, i + 2);
        }
        else if (IsAsciiLetter(b0)) return LetterRun(s, i + 1);

        int c0 = Decode(s, i, out int l0);
        byte f0 = _uc.Of(c0);

        if (c0 == '\'')
        {
            int m = Contraction.Length(s, i, ignoreCase: true);
            if (m > 0) return i + m;
        }

        if ((f0 & Letter) != 0) return LetterRun(s, i + l0);
        int j = i + l0;
        if ((f0 & Number) == 0 && c0 != '\r' && c0 != '\n' && j < n)
        {
            int c1 = Decode(s, j, out int l1);
            if ((_uc.Of(c1) & Letter) != 0) return LetterRun(s, j + l1);
        }

        if ((f0 & Number) != 0) return GptRuns.Numbers(_uc, s, j, _maxDigits);

        if (c0 == ' ' && i + 1 < n)
        {
            int c1 = Decode(s, i + 1, out int l1);
            if ((_uc.Of(c1) & (Letter | Number | Space)) == 0) return GptRuns.Other(_uc, s, i + 1 + l1, slash: false);
        }
        if ((f0 & Space) == 0) return GptRuns.Other(_uc, s, j, slash: false);

        return GptRuns.WhiteSpace(_uc, s, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') < 26;

    private int LetterRun(ReadOnlySpan<byte> s, int j)
    {
        j = AsciiLetters(s, j, lowerOnly: false);
        ReadOnlySpan<byte> ascii = _uc.Ascii;
        while (j < s.Length)
        {
            // ASCII letters are most of English and code: one table load, no decode.
            byte b = s[j];
            if (b < 0x80)
            {
                if ((ascii[b] & Letter) == 0) break;
                j++;
                continue;
            }
            int c = Decode(s, j, out int l);
            byte f = _uc.Of(c);
            if ((f & Letter) == 0) break;
            j += l;
            // After an ideograph or syllable, the rest of such a run without decoding.
            if ((f & RunOfThree) != 0) j = _uc.ThreeByteRun(s, j, Letter);
        }
        return j;
    }

}

/// <summary>The number, "other" and White_Space alternatives shared by the GPT-4-style patterns (cl100k, o200k).</summary>
internal static class GptRuns
{
    /// <summary><c>\p{N}{1,max}</c>: j is just past the first number, which counts as one.</summary>
    public static int Numbers(UnicodeClass uc, ReadOnlySpan<byte> s, int j, int max)
    {
        for (int count = 1; count < max && j < s.Length; count++)
        {
            int c = Decode(s, j, out int l);
            if ((uc.Of(c) & Number) == 0) break;
            j += l;
        }
        return j;
    }

    /// <summary>
    /// <c>[^\s\p{L}\p{N}]*</c> from j, then the trailing set: <c>[\r\n]*</c>, or <c>[\r\n/]*</c> when
    /// <paramref name="slash"/> (o200k). The first "other" code point is already consumed.
    /// </summary>
    public static int Other(UnicodeClass uc, ReadOnlySpan<byte> s, int j, bool slash)
    {
        while (j < s.Length)
        {
            int c = Decode(s, j, out int l);
            if ((uc.Of(c) & (Letter | Number | Space)) != 0) break;
            j += l;
        }
        while (j < s.Length && (s[j] == '\r' || s[j] == '\n' || (slash && s[j] == '/'))) j++;
        return j;
    }

    /// <summary>Alternatives 5–7 at a White_Space code point.</summary>
    public static int WhiteSpace(UnicodeClass uc, ReadOnlySpan<byte> s, int i)
    {
        int end = i, lastNewlineEnd = -1, lastStart = i;
        while (end < s.Length)
        {
            int c = Decode(s, end, out int l);
            if ((uc.Of(c) & Space) == 0) break;
            lastStart = end;
            end += l;
            if (c == '\r' || c == '\n') lastNewlineEnd = end;
        }
        if (lastNewlineEnd >= 0) return lastNewlineEnd;      // \s*[\r\n]
        if (end == s.Length) return end;                     // \s+(?!\S) at end of text
        return lastStart > i ? lastStart : end;              // \s+(?!\S) backtracked by one, else \s+
    }
}
