using System.Buffers.Binary;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Fuzz;

/// <summary>
/// Decode of arbitrary ids, by a profile (vocabulary 0 of <see cref="Fixtures"/>) and by cl100k_base,
/// against tables the oracle builds itself (the profile's ids follow the documented layout: 4
/// specials, 256 byte tokens, the list in order; cl100k's come from the oracle's parse of the file).
/// Invariant: all ids known → the concatenated bytes, also through a too-small buffer (the exact
/// count); any id unknown → UnknownTokenIdException naming the first such
/// id and its position. Input: byte 0 bit 0 picks the decoder; then little-endian int32 ids, where
/// byte 0 bits 1-3 scale them down (small ids hit known tokens, raw ones the edges of the range).
/// </summary>
internal sealed class DecodeTarget : IFuzzTarget
{
    public string Name => "decode";

    private static readonly Lazy<(Tokenizer Tokenizer, byte[][] Table)> s_profile = new(() =>
    {
        var table = new List<byte[]> { "<PAD>"u8.ToArray(), "<UNK>"u8.ToArray(), "<BOS>"u8.ToArray(), "<EOS>"u8.ToArray() };
        for (int b = 0; b < 256; b++) table.Add([(byte)b]);
        var seen = new HashSet<string>();
        foreach (string s in Fixtures.Vocabularies[0])
            if (s.Length >= 2 && seen.Add(s)) table.Add(Fixtures.Utf8(s));
        return (new Tokenizer(Profile.FromBytes(Fixtures.Dat(0, nfc: false)), "cpu"), table.ToArray());
    });

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        int shift = ((input[0] >> 1) & 7) * 3;   // 0, 3, ... 21 bits dropped
        var ids = new int[(input.Length - 1) / 4];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = BinaryPrimitives.ReadInt32LittleEndian(input.Slice(1 + 4 * i)) >> shift;

        Func<int, byte[]?> oracle;
        Func<int[], byte[]> decode;
        Func<int[], byte[], long> decodeInto;
        if ((input[0] & 1) == 0)
        {
            var (tokenizer, table) = s_profile.Value;
            oracle = id => (uint)id < (uint)table.Length ? table[id] : null;
            decode = x => tokenizer.Decode(x);
            decodeInto = (x, buf) => tokenizer.Decode(x, buf);
        }
        else
        {
            Fixtures.Encoding enc = Fixtures.Cl100k;
            oracle = id => enc.Reference.ByRank.TryGetValue(id, out byte[]? t) ? t
                         : Array.IndexOf(enc.SpecialIds, id) is var k and >= 0 ? Fixtures.Utf8(enc.SpecialNames[k]) : null;
            decode = x => enc.Engine.DecodeBytes(x);
            decodeInto = (x, buf) => enc.Engine.Decode(x, buf);
        }

        int firstBad = Array.FindIndex(ids, id => oracle(id) is null);
        byte[] got;
        try
        {
            got = decode(ids);
        }
        catch (Exception e) when (e is UnknownTokenIdException or Crayon.Bpe.UnknownTokenIdException)
        {
            (int id, long pos) = e is UnknownTokenIdException p ? (p.Id, p.Position) : (((Crayon.Bpe.UnknownTokenIdException)e).Id, ((Crayon.Bpe.UnknownTokenIdException)e).Position);
            FuzzFailure.Check(firstBad >= 0, $"decode rejected id {id} at {pos}, but every id is known");
            FuzzFailure.Check(pos == firstBad && id == ids[firstBad], $"decode named id {id} at {pos}; the first unknown is {ids[firstBad]} at {firstBad}");
            return;
        }
        FuzzFailure.Check(firstBad < 0, $"decode accepted unknown id {(firstBad < 0 ? 0 : ids[firstBad])} at {firstBad}");
        byte[] expected = ids.SelectMany(id => oracle(id)!).ToArray();
        FuzzFailure.Check(got.AsSpan().SequenceEqual(expected), $"decode gave {FuzzFailure.Hex(got)}, expected {FuzzFailure.Hex(expected)}");
        if (expected.Length > 0)
        {
            // A buffer one byte short: the call still reports the exact total it needs.
            long total = decodeInto(ids, new byte[expected.Length - 1]);
            FuzzFailure.Check(total == expected.Length, $"a short buffer got count {total}, expected {expected.Length}");
        }
    }

    public IEnumerable<(string Name, byte[] Data)> Seeds()
    {
        byte[] Seed(byte mode, params int[] ids)
        {
            var b = new byte[1 + 4 * ids.Length];
            b[0] = mode;
            for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(1 + 4 * i), ids[i]);
            return b;
        }
        yield return ("profile-known", Seed(0, 0, 1, 2, 3, 4, 100, 259, 260, 270, 276));
        yield return ("profile-unknown", Seed(0, 260, 277, -1, int.MaxValue, int.MinValue));
        yield return ("cl100k-known", Seed(1, 0, 1, 9906, 1917, 100256, 100257, 100276));
        yield return ("cl100k-gap", Seed(1, 100261, 100275, 100277, 1 << 20));
        yield return ("empty", [0]);
    }
}
