using Crayon.Dat;

namespace Crayon.Tokenization;

/// <summary>
/// Ids back to bytes through the id → bytes table of a profile. Each token's extent is checked against
/// the section (two compares), since loading does not scan the table.
/// </summary>
internal static unsafe class Decoder
{
    /// <summary>
    /// Writes the bytes of ids into output while they fit and returns the total byte count.
    /// Throws UnknownTokenIdException for an id outside the vocabulary.
    /// </summary>
    public static long Run(in DatImage image, ReadOnlySpan<int> ids, Span<byte> output)
    {
        uint* offs = image.TokenOffsets;
        byte* blob = image.TokenBytes;
        uint vocab = (uint)image.VocabSize;
        uint blobLen = image.TokenBytesLength;
        long total = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= vocab) throw new UnknownTokenIdException(id, i, image.VocabSize);
            uint start = offs[id], end = offs[id + 1];
            if (start > end || end > blobLen) throw DatImage.CorruptToken(id);
            int len = (int)(end - start);
            if (total + len <= output.Length)
            {
                if (len == 1) output[(int)total] = blob[start];
                else new ReadOnlySpan<byte>(blob + start, len).CopyTo(output.Slice((int)total));
            }
            total += len;
        }
        return total;
    }
}

/// <summary>A token id outside the active vocabulary.</summary>
public sealed class UnknownTokenIdException(int id, long position, int vocabSize)
    : ArgumentOutOfRangeException(null, $"unknown token id {id} at position {position} (vocabulary has ids 0..{vocabSize - 1})")
{
    public int Id { get; } = id;
    public long Position { get; } = position;
}
