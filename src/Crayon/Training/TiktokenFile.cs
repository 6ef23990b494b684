using System.Text;

namespace Crayon.Training;

/// <summary>The .tiktoken rank file: one line per token, "base64(bytes) rank\n", in rank order.</summary>
internal static class TiktokenFile
{
    public static byte[] Write(MergeEncoder encoder)
    {
        var sb = new StringBuilder(encoder.VocabSize * 16);
        for (int r = 0; r < encoder.VocabSize; r++)
            sb.Append(Convert.ToBase64String(encoder.Token(r))).Append(' ').Append(r).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
