using System.Buffers.Binary;
using System.Reflection;
using Crayon.Dat;
using Crayon.Normalization;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Fuzz;

/// <summary>
/// A hostile .dat image through the public entry points: Profile.FromBytes, then tokenize and
/// decode. Invariant: the load fails with DatFormatException, or every tokenize call either fails
/// with DatFormatException or gives ids that decode back to the text (NFC of the text for an NFC
/// profile) exactly; decoding ids the profile produced never fails with "unknown id".
/// Input: byte 0 bit 0 asks for the size and checksum fields to be repaired first (otherwise nearly
/// every mutation stops at the checksum and the validation behind it is never reached); the rest is
/// the image.
/// </summary>
internal sealed class DatTarget : IFuzzTarget
{
    public string Name => "dat";

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        byte[] image = input[1..].ToArray();
        if ((input[0] & 1) != 0) image = Repair.Apply(image);
        Profile profile;
        try
        {
            profile = Profile.FromBytes(image);
        }
        catch (DatFormatException)
        {
            return;
        }
        using var tokenizer = new Tokenizer(profile, "cpu");
        foreach (byte[] text in Fixtures.Texts) CheckRoundTrip(tokenizer, profile, text);
        // The image's own bytes as text: they hold the profile's tokens, so long matches happen.
        CheckRoundTrip(tokenizer, profile, input.Length > 513 ? input[^512..].ToArray() : input.ToArray());
    }

    private static void CheckRoundTrip(Tokenizer tokenizer, Profile profile, byte[] text)
    {
        int[] ids;
        byte[] back;
        try
        {
            ids = tokenizer.Tokenize(text);
            back = tokenizer.Decode(ids);
        }
        catch (DatFormatException)
        {
            return;   // the lazy checks found the damage: a clean error
        }
        foreach (int id in ids)
            FuzzFailure.Check((uint)id < (uint)profile.VocabSize, $"tokenize produced id {id} outside vocab_size {profile.VocabSize}");
        byte[] expected = profile.Normalization == TextNormalization.Nfc ? Nfc.Normalize(text) : text;
        if (back.AsSpan().SequenceEqual(expected)) return;
        // Say where: the first differing byte and the id whose bytes cover it.
        int at = back.AsSpan().CommonPrefixLength(expected), covered = 0, k = 0;
        for (; k < ids.Length; k++)
        {
            int len = tokenizer.Decode(ids.AsSpan(k, 1)).Length;
            if (covered + len > at) break;
            covered += len;
        }
        string culprit = k < ids.Length ? $"id {ids[k]} (#{k}) decodes to {FuzzFailure.Hex(tokenizer.Decode(ids.AsSpan(k, 1)))} where the text has {FuzzFailure.Hex(expected.AsSpan(covered, Math.Min(16, expected.Length - covered)))}" : "the ids end early";
        throw new FuzzFailure($"round trip differs at byte {at} of {expected.Length} (decoded {back.Length}): {culprit}");
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        for (int v = 0; v < Fixtures.Vocabularies.Length; v++)
            foreach (bool nfc in new[] { false, true })
            {
                byte[] image = Fixtures.Dat(v, nfc);
                yield return ($"v{v}{(nfc ? "-nfc" : "")}-repair", [1, .. image]);
                yield return ($"v{v}{(nfc ? "-nfc" : "")}-raw", [0, .. image]);
            }
    }

    /// <summary>
    /// Fixes the fields that stop a mutated image before validation: length padded to 8, the file
    /// size field (bytes 16..23) and the checksum (bytes 24..31). The checksum function is found by
    /// reflection so the harness keeps building when the loader changes; without it, no repair.
    /// </summary>
    private static class Repair
    {
        private delegate ulong ChecksumFn(ReadOnlySpan<byte> image);

        private static readonly ChecksumFn? s_checksum = typeof(Profile).Assembly.GetType("Crayon.Dat.DatChecksum")
            ?.GetMethod("Compute", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(ReadOnlySpan<byte>)])
            ?.CreateDelegate<ChecksumFn>();

        public static byte[] Apply(byte[] image)
        {
            if (image.Length < 64) return image;
            if (image.Length % 8 != 0) Array.Resize(ref image, image.Length + 8 - image.Length % 8);
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(16), (ulong)image.Length);
            if (s_checksum is not null) BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), s_checksum(image));
            return image;
        }
    }
}
