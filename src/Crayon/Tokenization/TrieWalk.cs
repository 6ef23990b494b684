using Crayon.Dat;

namespace Crayon.Tokenization;

/// <summary>
/// What the longest-match loop reads, gathered from a loaded profile: the mapped cells, values and
/// tails, the token table for the first-use check, and the profile's <see cref="VerifiedCells"/> bitmap.
/// A plain struct of pointers, copied into registers by the loop; valid while the profile is pinned.
/// </summary>
internal readonly unsafe struct TrieWalk
{
    public readonly uint* Cells;
    public readonly int* Values;
    public readonly ulong* Verified;
    public readonly uint* TokenOffsets;
    public readonly byte* TokenBytes;
    public readonly uint TokenBytesLength;
    public readonly uint VocabSize;
    public readonly uint MaxTokenBytes;
    public readonly byte* Tails;         // the tail records
    public readonly uint TailsLength;

    public TrieWalk(in DatImage image, VerifiedCells verified)
    {
        Cells = image.Cells; Values = image.Values; Verified = verified.Bits;
        TokenOffsets = image.TokenOffsets; TokenBytes = image.TokenBytes; TokenBytesLength = image.TokenBytesLength;
        VocabSize = (uint)image.VocabSize; MaxTokenBytes = (uint)image.MaxTokenBytes;
        Tails = image.Tails; TailsLength = image.TailsLength;
    }
}
