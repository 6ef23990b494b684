using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Crayon.PreTokenize;

/// <summary>
/// The general path for split patterns without a hand-written splitter (used by the BPE encoder
/// through <see cref="PreTokenizer.FromPattern"/> and by the trainer): .NET <see cref="Regex"/>
/// over a UTF-16 copy of the text with one unit per code point, matches mapped back to byte ranges.
/// A code point above U+FFFF is given to the regex as one BMP stand-in unit of the same class
/// (letter, number, other), so <c>\p{L}</c>, <c>\p{N}{1,3}</c> and <c>[^…]</c> count it as one code
/// point of the right class. Finer classes (e.g. <c>\p{Lu}</c> on U+1D400) are approximate for
/// such code points; the other limits are listed in docs/bpe.md and in <see cref="Translate"/>.
/// </summary>
/// <remarks>
/// Like tiktoken's <c>find_iter</c>, text between matches is skipped (not encoded); empty matches
/// give no piece.
/// </remarks>
internal sealed class RegexPreTokenizer : PreTokenizer
{
    private readonly Regex _regex;

    public RegexPreTokenizer(string pattern) : base(pattern)
    {
        string translated = Translate(pattern);
        try
        {
            _regex = new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"split pattern is not supported by the general path: {e.Message}", nameof(pattern), e);
        }
    }

    public override bool IsExact => false;

    /// <summary>The .NET form of the pattern (for diagnostics and tests).</summary>
    public string NetPattern => _regex.ToString();

    /// <summary>True when the pattern matches the empty string (such a pattern cannot cut text into chunks).</summary>
    public bool MatchesEmpty => _regex.IsMatch("");

    private protected override object? CreateState(ReadOnlySpan<byte> utf8) => new State(_regex, utf8);

    private protected override int NextEnd(ReadOnlySpan<byte> text, int start, object? state) =>
        throw new InvalidOperationException("the general path enumerates through its State");

    /// <summary>
    /// The BMP unit the regex sees for a code point above U+FFFF: one of the same general class,
    /// by the Unicode 16 categories tiktoken's regex crate uses.
    /// </summary>
    internal static char StandIn(int codePoint) => UnicodeUpdate.Category(codePoint) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => '\u3400',   // CJK ideograph (Lo)
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber
            or UnicodeCategory.OtherNumber => '\u2160',                                     // ROMAN NUMERAL ONE (Nl)
        _ => '\u2603',                                                                      // SNOWMAN (So)
    };

    /// <summary>One split of one text: the one-unit-per-code-point copy, its unit→byte offset map and the match cursor.</summary>
    internal sealed class State
    {
        private readonly int[] _byteAt; // byte offset where unit i starts in the caller's UTF-8
        private Match _match;

        public State(Regex regex, ReadOnlySpan<byte> utf8)
        {
            // Valid UTF-8 (checked by Split): one unit per code point, stand-ins above the BMP.
            char[] units = ArrayPool<char>.Shared.Rent(utf8.Length + 1);
            try
            {
                _byteAt = new int[utf8.Length + 1];
                int n = 0, b = 0;
                while (b < utf8.Length)
                {
                    Rune.DecodeFromUtf8(utf8[b..], out Rune r, out int used);
                    _byteAt[n] = b;
                    units[n++] = r.IsBmp ? (char)r.Value : StandIn(r.Value);
                    b += used;
                }
                _byteAt[n] = b;
                _match = regex.Match(new string(units, 0, n));
            }
            finally
            {
                ArrayPool<char>.Shared.Return(units);
            }
        }

        public bool Next(ref int pos, out Piece piece)
        {
            while (_match.Success)
            {
                int start = _byteAt[_match.Index], end = _byteAt[_match.Index + _match.Length];
                _match = _match.NextMatch();
                if (end > start)
                {
                    piece = new Piece(start, end - start);
                    pos = end;
                    return true;
                }
            }
            piece = default;
            pos = int.MaxValue;
            return false;
        }
    }

    /// <summary>
    /// Rewrites the Rust-regex spellings .NET lacks: possessive quantifiers (<c>X?+</c>, <c>X*+</c>,
    /// <c>X++</c>, <c>X{m,n}+</c>) become atomic groups <c>(?&gt;X?)</c>, which match the same;
    /// <c>$</c> (end of text in Rust without the m flag) becomes <c>\z</c>; <c>\x{HHHH}</c> becomes
    /// <c>\uHHHH</c> (code points above U+FFFF are rejected). Everything else is passed through.
    /// </summary>
    internal static string Translate(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 16);
        var groups = new Stack<int>();
        int lastAtom = -1;
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            switch (c)
            {
                case '\\':
                {
                    if (i + 1 >= pattern.Length) throw new ArgumentException("split pattern ends with '\\'");
                    lastAtom = sb.Length;
                    char e = pattern[i + 1];
                    if ((e is 'p' or 'P') && i + 2 < pattern.Length && pattern[i + 2] == '{')
                    {
                        int close = pattern.IndexOf('}', i);
                        if (close < 0) throw new ArgumentException("unterminated \\p{...} in split pattern");
                        sb.Append(pattern, i, close - i + 1);
                        i = close + 1;
                    }
                    else if (e == 'x' && i + 2 < pattern.Length && pattern[i + 2] == '{')
                    {
                        int close = pattern.IndexOf('}', i);
                        if (close < 0) throw new ArgumentException("unterminated \\x{...} in split pattern");
                        int cp = Convert.ToInt32(pattern[(i + 3)..close], 16);
                        if (cp > 0xFFFF) throw new ArgumentException("\\x{...} above U+FFFF is not supported by the general path");
                        sb.Append("\\u").Append(cp.ToString("X4"));
                        i = close + 1;
                    }
                    else { sb.Append(c).Append(e); i += 2; }
                    break;
                }
                case '[':
                {
                    lastAtom = sb.Length;
                    int j = i + 1;
                    if (j < pattern.Length && pattern[j] == '^') j++;
                    if (j < pattern.Length && pattern[j] == ']') j++; // a leading ']' is literal
                    while (j < pattern.Length && pattern[j] != ']')
                    {
                        if (pattern[j] == '\\') j++;
                        else if (pattern[j] == '[') throw new ArgumentException("nested character classes are not supported by the general path");
                        j++;
                    }
                    if (j >= pattern.Length) throw new ArgumentException("unterminated character class in split pattern");
                    sb.Append(pattern, i, j - i + 1);
                    i = j + 1;
                    break;
                }
                case '(':
                {
                    groups.Push(sb.Length);
                    sb.Append('(');
                    i++;
                    lastAtom = -1;
                    if (i < pattern.Length && pattern[i] == '?')
                    {
                        int j = i + 1;
                        while (j < pattern.Length && ":=!>)".IndexOf(pattern[j]) < 0) j++;
                        if (j >= pattern.Length) throw new ArgumentException("unterminated group in split pattern");
                        if (pattern[i + 1] == 'P' && i + 2 < pattern.Length && pattern[i + 2] == '<')
                        {
                            sb.Append("?"); i += 2; // (?P<name>...) is (?<name>...) in .NET
                        }
                        sb.Append(pattern, i, j - i + 1);
                        if (pattern[j] == ')') { groups.Pop(); } // (?flags) alone opens no group
                        i = j + 1;
                    }
                    break;
                }
                case ')':
                    if (groups.Count == 0) throw new ArgumentException("unbalanced ')' in split pattern");
                    sb.Append(')');
                    lastAtom = groups.Pop();
                    i++;
                    break;
                case '?' or '*' or '+' or '{':
                {
                    int j = i + 1;
                    if (c == '{')
                    {
                        j = pattern.IndexOf('}', i);
                        if (j < 0) throw new ArgumentException("unterminated {m,n} in split pattern");
                        j++;
                    }
                    string quant = pattern[i..j];
                    if (j < pattern.Length && pattern[j] == '+')
                    {
                        if (lastAtom < 0) throw new ArgumentException("possessive quantifier without an operand");
                        sb.Insert(lastAtom, "(?>").Append(quant).Append(')');
                        j++;
                    }
                    else
                    {
                        sb.Append(quant);
                        if (j < pattern.Length && pattern[j] == '?') { sb.Append('?'); j++; }
                    }
                    lastAtom = -1;
                    i = j;
                    break;
                }
                case '$':
                    lastAtom = sb.Length;
                    sb.Append("\\z");
                    i++;
                    break;
                case '|' or '^':
                    lastAtom = -1;
                    sb.Append(c);
                    i++;
                    break;
                default:
                    lastAtom = sb.Length;
                    sb.Append(c);
                    i++;
                    break;
            }
        }
        if (groups.Count != 0) throw new ArgumentException("unbalanced '(' in split pattern");
        return sb.ToString();
    }
}
