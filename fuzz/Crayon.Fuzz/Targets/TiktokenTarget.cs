using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Fuzz;

/// <summary>
/// A hostile .tiktoken rank file through BpeEncoding.FromTiktokenData (what crayon_bpe_load_buffer
/// runs). Invariant: it fails with InvalidDataException, or the encoding it built agrees with the
/// oracle's own parse of every strict line (token bytes by rank, rank by token bytes), and encoding
/// a few texts gives exactly the oracle's merge result (or InvalidDataException exactly when a byte
/// of the text has no rank) and decodes back.
/// </summary>
internal sealed class TiktokenTarget : IFuzzTarget
{
    public string Name => "tiktoken";

    private static readonly string[] s_specials = ["<|endoftext|>"];
    private static readonly int[] s_specialIds = [50000];
    private static readonly byte[][] s_texts =
    [
        "hello world"u8.ToArray(), "aaaa abab  \n\n 123 café"u8.ToArray(), "<|endoftext|> x"u8.ToArray(),
    ];

    public void Run(ReadOnlySpan<byte> input)
    {
        BpeEncoding enc;
        try
        {
            enc = BpeEncoding.FromTiktokenData(input, KnownPatterns.Cl100k, s_specials, s_specialIds);
        }
        catch (InvalidDataException)
        {
            return;
        }
        ReferenceRanks? reference = ReferenceRanks.Parse(input);
        if (reference is not null)
        {
            foreach (var (rank, token) in reference.ByRank)
            {
                FuzzFailure.Check(enc.TokenBytes(rank).SequenceEqual(token), $"rank {rank}: engine bytes differ from the file's");
                FuzzFailure.Check(enc.TryEncodeSingleToken(token, out int id) && id == rank,
                                  $"token {FuzzFailure.Hex(token)} of rank {rank} is not found by encode_single_token");
            }
        }
        foreach (byte[] text in s_texts) Check(enc, reference, text);
        Check(enc, reference, input.Length > 256 ? input[..256].ToArray() : input.ToArray());
    }

    private static void Check(BpeEncoding enc, ReferenceRanks? reference, byte[] text)
    {
        if (!System.Text.Unicode.Utf8.IsValid(text)) return;
        int[] ids;
        try
        {
            ids = enc.Encode(text, SpecialPolicy.None);
        }
        catch (InvalidDataException)
        {
            // Allowed only when some piece really leaves a byte without a rank.
            if (reference is not null)
                FuzzFailure.Check(Oracle(enc, reference, text) is null, $"encode failed on {FuzzFailure.Hex(text)} though every part has a rank");
            return;
        }
        FuzzFailure.Check(enc.DecodeBytes(ids).AsSpan().SequenceEqual(text), $"decode(encode(x)) != x for {FuzzFailure.Hex(text)}");
        if (reference is null) return;
        List<int>? expected = Oracle(enc, reference, text);
        FuzzFailure.Check(expected is not null && expected.SequenceEqual(ids),
            $"encode {FuzzFailure.Hex(text)}: engine [{string.Join(",", ids)}], oracle [{(expected is null ? "fails" : string.Join(",", expected))}]");
    }

    private static List<int>? Oracle(BpeEncoding enc, ReferenceRanks reference, byte[] text)
    {
        var ids = new List<int>();
        foreach (PreTokenizer.Piece p in enc.PreTokenizer.Split(text))
        {
            List<int>? piece = reference.EncodePiece(text.AsSpan(p.Start, p.Length));
            if (piece is null) return null;
            ids.AddRange(piece);
        }
        return ids;
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        // All 256 bytes, then merges learned from a small text: a real, complete rank file.
        var sb = new StringBuilder();
        int rank = 0;
        for (int b = 0; b < 256; b++) sb.Append(Convert.ToBase64String([(byte)b])).Append(' ').Append(rank++).Append('\n');
        foreach (string m in new[] { "he", "ll", "hell", "hello", " w", "or", " wor", " world", "aa", "aaaa", "ab", "abab", "  ", "\n\n", "12", "123", "ca", "caf", "café" })
            sb.Append(Convert.ToBase64String(Encoding.UTF8.GetBytes(m))).Append(' ').Append(rank++).Append('\n');
        yield return ("complete", Encoding.ASCII.GetBytes(sb.ToString()));
        yield return ("crlf", Encoding.ASCII.GetBytes(sb.ToString().Replace("\n", "\r\n")));
        yield return ("few-bytes", "aA== 0\nYg== 1\nYWI= 2\n\nIA== 7\n"u8.ToArray());
        yield return ("dup-rank", "aA== 0\nYg== 0\n"u8.ToArray());
        yield return ("bad", "aA==0\n!!!! 1\nYg== -1\n"u8.ToArray());
    }
}
