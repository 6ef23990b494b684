using System.Text;
using System.Text.Unicode;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Fuzz;

/// <summary>
/// BPE encode with special-token policies on the published cl100k_base and o200k_base ranks, against
/// the oracle (tiktoken's semantics, written out slowly): a disallowed special anywhere fails the
/// call with DisallowedSpecialException; otherwise the text is cut at each allowed special, every
/// piece between is merged by <see cref="ReferenceRanks.EncodePiece"/>, and the ids must be equal.
/// Invalid UTF-8 must fail with InvalidUtf8Exception. Every success decodes back to the text, and a
/// too-small output span gets the exact count and a correct prefix.
/// Input: byte 0 = encoding (bit 0), allowed specials (bits 1-2: none, the first, the first two, all),
/// disallowed (bits 3-4: none, the first, the last, all); byte 1 bit 0 keeps the raw bytes (else the
/// text is made valid UTF-8 and bytes 0x01..0x05 become special-token names); the rest is the text.
/// </summary>
internal sealed class BpeTarget : IFuzzTarget
{
    public string Name => "bpe";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2) return;
        Fixtures.Encoding enc = (input[0] & 1) == 0 ? Fixtures.Cl100k : Fixtures.O200k;
        string[] names = enc.SpecialNames;
        int allowMode = (input[0] >> 1) & 3, disallowMode = (input[0] >> 3) & 3;
        string[] allowed = allowMode switch { 0 => [], 1 => names[..1], 2 => names[..2], _ => [] };
        string[] disallowed = disallowMode switch { 0 => [], 1 => names[..1], 2 => names[^1..], _ => [] };
        bool allowAll = allowMode == 3, disallowAll = disallowMode == 3;
        byte[] text = (input[1] & 1) != 0 ? input[2..].ToArray() : WithSpecials(input[2..], names);

        SpecialPolicy policy = enc.Engine.Policy(allowed, disallowed, allowAll, disallowAll);
        int[]? ids = null;
        Exception? error = null;
        try
        {
            ids = enc.Engine.Encode(text, policy);
        }
        catch (Exception e) when (e is InvalidUtf8Exception or DisallowedSpecialException)
        {
            error = e;
        }

        if (!Utf8.IsValid(text))
        {
            FuzzFailure.Check(error is InvalidUtf8Exception, $"invalid UTF-8 {FuzzFailure.Hex(text)} was not rejected ({error?.GetType().Name ?? "encoded"})");
            return;
        }
        var allowedSet = new HashSet<string>(allowAll ? names : allowed.Intersect(names));
        var disallowedSet = new HashSet<string>(disallowAll ? names : disallowed);
        disallowedSet.ExceptWith(allowedSet);   // crayon.h: a token both allowed and disallowed is allowed
        string latin1 = Fixtures.Latin1(text);
        string? found = disallowedSet.FirstOrDefault(n => latin1.Contains(Fixtures.Latin1(Fixtures.Utf8(n)), StringComparison.Ordinal));
        if (found is not null)
        {
            FuzzFailure.Check(error is DisallowedSpecialException, $"disallowed special {found} in {FuzzFailure.Hex(text)} was not rejected");
            return;
        }
        FuzzFailure.Check(error is null, $"encode failed on {FuzzFailure.Hex(text)}: {error}");
        List<int> expected = Oracle(enc, text, allowedSet);
        FuzzFailure.Check(expected.SequenceEqual(ids!),
            $"{enc.Name} encode {FuzzFailure.Hex(text)}: engine [{string.Join(",", ids!)}] oracle [{string.Join(",", expected)}]");
        FuzzFailure.Check(enc.Engine.DecodeBytes(ids).AsSpan().SequenceEqual(text), $"decode(encode(x)) != x for {FuzzFailure.Hex(text)}");
        if (ids!.Length > 1)
        {
            Span<int> small = new int[ids.Length / 2];
            int total = enc.Engine.Encode(text, policy, small);
            FuzzFailure.Check(total == ids.Length && small.SequenceEqual(ids.AsSpan(0, small.Length)),
                              $"a small output span got count {total} (expected {ids.Length}) or a wrong prefix");
        }
    }

    /// <summary>Cut at the leftmost allowed special each time; merge everything between on its own.</summary>
    private static List<int> Oracle(Fixtures.Encoding enc, byte[] text, HashSet<string> allowed)
    {
        var ids = new List<int>();
        string latin1 = Fixtures.Latin1(text);
        int pos = 0;
        while (true)
        {
            int next = -1, which = -1;
            for (int k = 0; k < enc.SpecialNames.Length; k++)
            {
                if (!allowed.Contains(enc.SpecialNames[k])) continue;
                int at = latin1.IndexOf(Fixtures.Latin1(Fixtures.Utf8(enc.SpecialNames[k])), pos, StringComparison.Ordinal);
                if (at >= 0 && (next < 0 || at < next)) { next = at; which = k; }
            }
            int end = next < 0 ? text.Length : next;
            byte[] segment = text[pos..end];
            foreach (PreTokenizer.Piece p in enc.Engine.PreTokenizer.Split(segment))
                ids.AddRange(enc.Reference.EncodePiece(segment.AsSpan(p.Start, p.Length))
                             ?? throw new FuzzFailure("the oracle has no rank for a byte (a published encoding has all 256)"));
            if (next < 0) return ids;
            ids.Add(enc.SpecialIds[which]);
            pos = next + Fixtures.Utf8(enc.SpecialNames[which]).Length;
        }
    }

    /// <summary>Valid UTF-8 (invalid sequences become U+FFFD) with bytes 0x01..0x05 replaced by special names.</summary>
    private static byte[] WithSpecials(ReadOnlySpan<byte> raw, string[] names)
    {
        string s = Encoding.UTF8.GetString(raw);
        var sb = new StringBuilder(s.Length + 16);
        foreach (char c in s)
        {
            if (c is >= '\u0001' and <= '\u0005') sb.Append(names[(c - 1) % names.Length]);
            else sb.Append(c);
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Seed(byte mode, byte raw, string text) => [mode, raw, .. Encoding.UTF8.GetBytes(text)];
        yield return ("ordinary-cl100k", Seed(0, 0, "Hello, world! It's 2024 -- naïve café 😀\n\n  indented   text\r\n"));
        yield return ("ordinary-o200k", Seed(1, 0, "HelloWorld's CAMELCase e\u0301 中文 123456 //path/to\n"));
        yield return ("allowed-all", Seed(0b110, 0, "a\u0001b\u0002c\u0005 d"));
        yield return ("allowed-first", Seed(0b010, 0, "x\u0001y\u0002"));
        yield return ("disallowed-all", Seed(0b11000, 0, "prefix \u0003 suffix"));
        yield return ("disallowed-last", Seed(0b10000 | 0b010, 0, "\u0001 ok \u0005"));
        yield return ("both", Seed(0b01000 | 0b010, 0, "\u0001 both allowed and disallowed"));
        yield return ("invalid-utf8", [0, 1, 0x68, 0xc3, 0x28, 0xff, 0x80]);
        yield return ("long-space", Seed(1, 0, new string(' ', 200) + "x" + new string('\n', 50)));
        yield return ("digits", Seed(0, 0, "1234567890 ١٢٣٤ ²³ Ⅻ"));
    }
}
