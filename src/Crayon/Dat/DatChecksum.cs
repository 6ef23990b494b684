using System.IO.Hashing;

namespace Crayon.Dat;

/// <summary>
/// The .dat checksum: XXH3-64 (seed 0) of the whole file with the checksum field (bytes 24..31) read
/// as zero. Loading does not compute it (that would read every page); full verification does.
/// It detects corruption; what keeps a hostile file harmless is the reader's design (docs/dat-format.md).
/// </summary>
internal static class DatChecksum
{
    public static ulong Compute(ReadOnlySpan<byte> image)
    {
        if (image.Length < DatLayout.HeaderSize) throw new ArgumentException("image is shorter than the header");
        var hash = new XxHash3();
        hash.Append(image[..DatLayout.OffChecksum]);
        hash.Append(stackalloc byte[8]);
        hash.Append(image[(DatLayout.OffChecksum + 8)..]);
        return hash.GetCurrentHashAsUInt64();
    }
}
