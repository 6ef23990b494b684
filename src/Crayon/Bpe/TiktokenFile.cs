using System.Buffers;
using System.Buffers.Text;

namespace Crayon.Bpe;

/// <summary>
/// Parser of the .tiktoken rank file: one <c>base64(token bytes) SP rank</c> per line (LF or CRLF),
/// empty lines ignored — what tiktoken's <c>load_tiktoken_bpe</c> reads. Every problem is an
/// <see cref="InvalidDataException"/> that names the line.
/// </summary>
internal static class TiktokenFile
{
    /// <summary>Token bytes, back to back, with their offsets, lengths and ranks in file order.</summary>
    internal sealed record Ranks(byte[] Arena, int[] Offsets, int[] Lengths, int[] Values);

    public static Ranks Parse(ReadOnlySpan<byte> data)
    {
        var arena = new byte[data.Length / 4 * 3 + 3];
        var offsets = new List<int>();
        var lengths = new List<int>();
        var values = new List<int>();
        int used = 0, line = 0, pos = 0;
        while (pos < data.Length)
        {
            line++;
            int nl = data[pos..].IndexOf((byte)'\n');
            ReadOnlySpan<byte> text = nl < 0 ? data[pos..] : data.Slice(pos, nl);
            pos = nl < 0 ? data.Length : pos + nl + 1;
            if (!text.IsEmpty && text[^1] == '\r') text = text[..^1];
            if (text.IsEmpty) continue;

            int sp = text.IndexOf((byte)' ');
            if (sp <= 0 || text[(sp + 1)..].IndexOf((byte)' ') >= 0)
                throw new InvalidDataException($".tiktoken line {line}: expected \"<base64 token> <rank>\"");
            ReadOnlySpan<byte> b64 = text[..sp], num = text[(sp + 1)..];
            if (Base64.DecodeFromUtf8(b64, arena.AsSpan(used), out int consumed, out int written) != OperationStatus.Done
                || consumed != b64.Length)
                throw new InvalidDataException($".tiktoken line {line}: the token is not valid base64");
            if (written == 0) throw new InvalidDataException($".tiktoken line {line}: the token is empty");
            if (!System.Buffers.Text.Utf8Parser.TryParse(num, out int rank, out int n) || n != num.Length || rank < 0)
                throw new InvalidDataException($".tiktoken line {line}: the rank is not a non-negative integer");
            offsets.Add(used);
            lengths.Add(written);
            values.Add(rank);
            used += written;
        }
        if (values.Count == 0) throw new InvalidDataException(".tiktoken data holds no ranks");
        return new Ranks(arena, offsets.ToArray(), lengths.ToArray(), values.ToArray());
    }
}
