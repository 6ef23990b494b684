using System.Text;
using System.Text.RegularExpressions;

namespace Crayon.PreTokenize;

/// <summary>
/// The general path for split patterns without a hand-written splitter: .NET <see cref="Regex"/>
/// over the UTF-16 form of the text, with matches mapped back to byte ranges. It is exact for
/// patterns whose classes only meet Basic Multilingual Plane text; its limits are listed in
/// docs/bpe.md and in <see cref="Translate"/>.
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

    private protected override object? CreateState(ReadOnlySpan<byte> utf8) => new State(_regex, utf8);

    private protected override int NextEnd(ReadOnlySpan<byte> text, int start, object? state) =>
        throw new InvalidOperationException("the general path enumerates through its State");

    /// <summary>One split of one text: the UTF-16 copy, its char→byte offset map and the match cursor.</summary>
    internal sealed class State
    {
        private readonly int[] _byteAt; // byte offset of each char index (low surrogates: after the code point)
        private Match _match;

        public State(Regex regex, ReadOnlySpan<byte> utf8)
        {
            string text = Encoding.UTF8.GetString(utf8);
            _byteAt = new int[text.Length + 1];
            int b = 0;
            for (int c = 0; c < text.Length; c++)
            {
                _byteAt[c] = b;
                char ch = text[c];
                if (char.IsHighSurrogate(ch)) { _byteAt[c + 1] = b + 4; b += 4; c++; }
                else b += ch < 0x80 ? 1 : ch < 0x800 ? 2 : 3;
            }
            _byteAt[text.Length] = b;
            _match = regex.Match(text);
        }

        public bool Next(ref int pos, out Piece piece)
        {
            while (_match.Success)
            {
                int start = _byteAt[_match.Index], end = _byteAt[_match.Index + _match.Length];
                _match = _match.NextMatch();
                if (start < pos) start = pos; // a match that began inside a code point the previous one ended in
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
