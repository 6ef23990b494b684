using System.Buffers;
using System.Globalization;
using System.Text;

namespace Crayon.Learning;

/// <summary>
/// Cuts text into the spans a learned token may not cross: a word (letters and marks) with at most
/// one leading space, up to three digits with one leading space, a run of the same punctuation/symbol
/// class with one leading space, or a run of whitespace (keeping its last space for a following word).
/// Invalid UTF-8 bytes are reported as spans of their own with valid = false.
/// </summary>
internal static class SpanSplitter
{
    private enum Kind { Letter, Digit, Space, Other, Invalid }

    public delegate void SpanSink(ReadOnlySpan<byte> span, bool valid);

    public static void Split(ReadOnlySpan<byte> text, SpanSink sink)
    {
        int i = 0;
        while (i < text.Length)
        {
            Kind k = Classify(text[i..], out int w);
            if (k == Kind.Invalid) { sink(text.Slice(i, w), false); i += w; continue; }
            int start = i;
            if (k == Kind.Space)
            {
                int j = i, lastStart = i;
                while (j < text.Length)
                {
                    Kind kk = Classify(text[j..], out int ww);
                    if (kk != Kind.Space) break;
                    lastStart = j; j += ww;
                }
                // " word": leave a final plain space to the word that follows.
                if (j < text.Length && j - lastStart == 1 && text[lastStart] == (byte)' ' && Classify(text[j..], out _) != Kind.Invalid)
                {
                    if (lastStart > start) sink(text[start..lastStart], true);
                    i = lastStart;
                    start = i;
                    i++; // the space joins the next run
                    k = Classify(text[i..], out w);
                }
                else
                {
                    sink(text[start..j], true);
                    i = j;
                    continue;
                }
            }
            // A run of kind k from i (possibly after one leading space at start).
            int digits = 0;
            Kind runKind = k;
            while (i < text.Length)
            {
                Kind kk = Classify(text[i..], out int ww);
                if (kk != runKind) break;
                if (runKind == Kind.Digit && ++digits > 3) break;
                i += ww;
            }
            sink(text[start..i], true);
        }
    }

    private static Kind Classify(ReadOnlySpan<byte> s, out int width)
    {
        byte b = s[0];
        if (b < 0x80)
        {
            width = 1;
            if (b == (byte)' ' || b == (byte)'\n' || b == (byte)'\t' || b == (byte)'\r' || b == 0x0B || b == 0x0C) return Kind.Space;
            if ((uint)((b | 0x20) - 'a') <= 'z' - 'a') return Kind.Letter;
            if ((uint)(b - '0') <= 9) return Kind.Digit;
            return Kind.Other;
        }
        if (Rune.DecodeFromUtf8(s, out Rune r, out width) != OperationStatus.Done) { width = Math.Max(width, 1); return Kind.Invalid; }
        if (Rune.IsWhiteSpace(r)) return Kind.Space;
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.UppercaseLetter: case UnicodeCategory.LowercaseLetter: case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter: case UnicodeCategory.OtherLetter:
            case UnicodeCategory.NonSpacingMark: case UnicodeCategory.SpacingCombiningMark: case UnicodeCategory.EnclosingMark:
                return Kind.Letter;
            case UnicodeCategory.DecimalDigitNumber:
                return Kind.Digit;
            default:
                return Kind.Other;
        }
    }
}
