using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Crayon.PreTokenize;

namespace Crayon.Training;

/// <summary>
/// The general splitter: any pattern, run by .NET's <see cref="Regex"/> on the UTF-16 form of the
/// text. .NET has no possessive quantifiers, so <c>X?+ X*+ X++</c> are rewritten to the equivalent
/// atomic groups <c>(?&gt;X?)</c>. .NET's regex works on UTF-16 units, so code points outside the
/// BMP are given to it as one stand-in unit each (see <see cref="Split"/>); character classes other
/// than letters, numbers and "anything else" (e.g. \p{Lu} on U+1D400) are approximate for them.
/// </summary>
internal sealed class RegexChunkSplitter : IChunkSplitter
{
    private readonly Regex _regex;

    public RegexChunkSplitter(string pattern)
    {
        Pattern = pattern ?? throw new ArgumentNullException(nameof(pattern));
        string dotnet = PossessiveToAtomic(pattern);
        try
        {
            _regex = new Regex(dotnet, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid split pattern {pattern}: {e.Message}", e);
        }
        if (_regex.IsMatch(""))
            throw new ArgumentException($"invalid split pattern {pattern}: it matches the empty string, so it cannot split text");
    }

    public string Pattern { get; }

    private static readonly UTF8Encoding s_strict = new(false, true);

    public void Split(ReadOnlySpan<byte> utf8, IChunkSink sink)
    {
        string text;
        try { text = s_strict.GetString(utf8); }
        catch (DecoderFallbackException) { throw InvalidUtf8Exception.At(utf8); }

        // The regex sees one UTF-16 unit per code point: a code point outside the BMP is replaced by
        // a BMP stand-in of the same class for these patterns (letter, number, other), so \p{L}
        // and \p{N}{1,3} behave as on code points. offsets[i] is where unit i starts in utf8, so
        // chunks are cut from the caller's bytes without re-encoding.
        char[] units = ArrayPool<char>.Shared.Rent(text.Length + 1);
        int[] offsets = ArrayPool<int>.Shared.Rent(text.Length + 1);
        try
        {
            int n = 0, at = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                offsets[n] = at;
                if (char.IsHighSurrogate(c))
                {
                    units[n++] = StandIn(char.ConvertToUtf32(c, text[i + 1]));
                    at += 4;
                    i++;
                }
                else
                {
                    units[n++] = c;
                    at += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
                }
            }
            offsets[n] = at;
            foreach (ValueMatch m in _regex.EnumerateMatches(units.AsSpan(0, n)))
            {
                if (m.Length == 0) continue;
                int from = offsets[m.Index], to = offsets[m.Index + m.Length];
                sink.OnChunk(utf8[from..to]);
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(units);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    private static char StandIn(int codePoint) => CharUnicodeInfo.GetUnicodeCategory(codePoint) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => '\u3400',   // CJK ideograph (Lo)
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
            or UnicodeCategory.OtherNumber => '\u2160',                                     // ROMAN NUMERAL ONE (Nl)
        _ => '\u2603',                                                                      // SNOWMAN (So)
    };

    /// <summary>Rewrites possessive quantifiers (<c>?+ *+ ++ {m,n}+</c>) to atomic groups.</summary>
    internal static string PossessiveToAtomic(string p)
    {
        var sb = new StringBuilder(p.Length + 16);
        var groupStarts = new Stack<int>();
        int lastAtom = -1;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            int start = sb.Length;
            if (c == '\\')
            {
                int end = i + 2;
                if (i + 1 < p.Length && (p[i + 1] == 'p' || p[i + 1] == 'P') && i + 2 < p.Length && p[i + 2] == '{')
                    end = p.IndexOf('}', i) + 1;
                if (end <= 0 || end > p.Length) end = p.Length;
                sb.Append(p, i, end - i);
                i = end - 1;
                lastAtom = start;
            }
            else if (c == '[')
            {
                int j = i + 1;
                if (j < p.Length && p[j] == '^') j++;
                if (j < p.Length && p[j] == ']') j++;
                while (j < p.Length && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
                int end = Math.Min(j + 1, p.Length);
                sb.Append(p, i, end - i);
                i = end - 1;
                lastAtom = start;
            }
            else if (c == '(')
            {
                groupStarts.Push(start);
                sb.Append(c);
                lastAtom = -1;
            }
            else if (c == ')')
            {
                sb.Append(c);
                lastAtom = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
            }
            else if (c is '?' or '*' or '+' or '{')
            {
                int end = i + 1;
                if (c == '{')
                {
                    int close = p.IndexOf('}', i);
                    end = close < 0 ? i + 1 : close + 1;
                }
                bool possessive = end < p.Length && p[end] == '+' && lastAtom >= 0
                                  && !(c == '?' && start > 0 && sb[start - 1] == '(');
                if (possessive)
                {
                    sb.Insert(lastAtom, "(?>");
                    sb.Append(p, i, end - i).Append(')');
                    i = end;            // skip the possessive '+'
                }
                else
                {
                    sb.Append(p, i, end - i);
                    i = end - 1;
                }
                lastAtom = -1;
            }
            else
            {
                sb.Append(c);
                lastAtom = start;
            }
        }
        return sb.ToString();
    }
}
