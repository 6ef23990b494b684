using System.Text;
using Crayon.PreTokenize;

namespace Crayon.Fuzz;

/// <summary>
/// The hand-written exact splitters (cl100k_base, nanochat's \p{N}{1,2} variant, o200k_base, gpt2)
/// against the published patterns run by .NET Regex (<see cref="ReferenceSplitter"/>): the pieces
/// must be identical. Input: byte 0 picks the pattern; every other byte is one character of
/// <see cref="ReferenceSplitter.Alphabet"/>.
/// </summary>
internal sealed class PreTokenizeTarget : IFuzzTarget
{
    public string Name => "pretokenize";

    private static readonly (PreTokenizer Engine, ReferenceSplitter Reference)[] s_pairs =
    [
        (PreTokenizer.FromPattern(KnownPatterns.Cl100k), ReferenceSplitter.Cl100k),
        (PreTokenizer.FromPattern(KnownPatterns.Nanochat), ReferenceSplitter.Nanochat),
        (PreTokenizer.FromPattern(KnownPatterns.O200k), ReferenceSplitter.O200k),
        (PreTokenizer.FromPattern(KnownPatterns.Gpt2), ReferenceSplitter.Gpt2),
    ];

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        var (engine, reference) = s_pairs[input[0] % s_pairs.Length];
        FuzzFailure.Check(engine.IsExact, $"pattern {engine.Pattern} did not get its exact splitter");
        var (utf8, forRegex, byteAt) = ReferenceSplitter.Text(input[1..]);
        var got = new List<(int, int)>();
        foreach (PreTokenizer.Piece p in engine.Split(utf8)) got.Add((p.Start, p.Length));
        List<(int Start, int Length)> expected = reference.Split(forRegex, byteAt);
        if (!got.SequenceEqual(expected))
        {
            string Show(IEnumerable<(int S, int L)> ps) => string.Join("|", ps.Select(p => Encoding.UTF8.GetString(utf8, p.S, p.L)));
            throw new FuzzFailure($"pattern #{input[0] % s_pairs.Length} on {FuzzFailure.Hex(utf8)}:\n engine    {Show(got)}\n reference {Show(expected)}");
        }
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        // Texts written with the alphabet's own indices, so each seed is a meaningful string.
        byte[] FromText(int pattern, string s)
        {
            var bytes = new List<byte> { (byte)pattern };
            for (int i = 0; i < s.Length;)
            {
                string one = char.IsSurrogatePair(s, i) ? s.Substring(i, 2) : s.Substring(i, 1);
                int k = Array.IndexOf(ReferenceSplitter.Alphabet, one);
                if (k >= 0) bytes.Add((byte)k);
                i += one.Length;
            }
            return bytes.ToArray();
        }
        string[] texts =
        [
            "It's a test, Dave's 'LL 'Ve 's! 123 1999 abc\n\n  x  \r\n\t$1.0 /a/b",
            "éÉ ǅʰ א中 e\u0301\u0903\u20DD ²٣Ⅻ½ €© \u200B\u00AD\u0001 😀🎉 \u0085\u00A0\u2028\u3000",
            "AbcDEF aBC's ABC'S 'x \v\f \n \r\n   \t\n",
        ];
        for (int pat = 0; pat < 4; pat++)
            for (int t = 0; t < texts.Length; t++)
                yield return ($"p{pat}-t{t}", FromText(pat, texts[t]));
    }
}
