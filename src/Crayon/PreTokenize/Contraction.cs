namespace Crayon.PreTokenize;

/// <summary>The English contractions the patterns match after an apostrophe (U+0027 only).</summary>
internal static class Contraction
{
    /// <summary>
    /// Byte length of <c>'s|'t|'re|'ve|'m|'ll|'d</c> at <paramref name="i"/>, or 0.
    /// With <paramref name="ignoreCase"/> it is the <c>(?i:...)</c> form: Rust's regex folds case by
    /// Unicode simple case folding, so 's' also matches U+017F LATIN SMALL LETTER LONG S (2 bytes).
    /// </summary>
    public static int Length(ReadOnlySpan<byte> s, int i, bool ignoreCase)
    {
        if (i + 1 >= s.Length || s[i] != (byte)'\'') return 0;
        int c1 = s[i + 1];
        if (ignoreCase)
        {
            if (c1 == 0xC5 && i + 2 < s.Length && s[i + 2] == 0xBF) return 3; // 'ſ (U+017F folds to s)
            c1 |= 0x20;
        }
        if (c1 is 's' or 't' or 'm' or 'd') return 2;
        if (i + 2 >= s.Length) return 0;
        int c2 = ignoreCase ? s[i + 2] | 0x20 : s[i + 2];
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
        return 0;
    }
}
