using System.Buffers.Binary;
using System.Text;
using Crayon.Dat;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

/// <summary>
/// A .dat keeps the rest of a trie node's one token as a string (a tail) instead of a chain of cells.
/// Greedy longest match must not change: the same ids as the plain trie built without tails,
/// for text that matches a tail whole, in part, or ends inside one; and a tail the file gets wrong is
/// refused the way a wrong cell is, or never matches.
/// </summary>
public class TailTests
{
    private static List<byte[]> LongTokens(Random rng, int count)
    {
        // Long tokens over a small alphabet share prefixes, then run alone: tails of 1 to 40 bytes, and
        // chains of tokens that extend one another (" ab", " abcd", " abcdefgh"), where a tail hangs below a token.
        var list = EngineFixtures.RandomVocabulary(rng, count, "abcd e");
        for (int i = 0; i < count / 4; i++)
        {
            var sb = new StringBuilder(" ");
            int len = rng.Next(3, 40);
            for (int k = 0; k < len; k++) sb.Append("abcd e"[rng.Next(6)]);
            string s = sb.ToString();
            list.Add(Encoding.UTF8.GetBytes(s));
            list.Add(Encoding.UTF8.GetBytes(s[..(1 + len / 2)]));
        }
        list.Add(Encoding.UTF8.GetBytes(new string('x', 300)));   // a rest over 255 bytes: expanded until what is left fits
        return list;
    }

    private static byte[] TextFrom(Random rng, List<byte[]> tokens, int pieces)
    {
        var text = new List<byte>();
        for (int i = 0; i < pieces; i++)
        {
            byte[] t = tokens[rng.Next(tokens.Count)];
            int cut = rng.Next(3) == 0 ? rng.Next(1, t.Length + 1) : t.Length;   // tokens whole, and cut inside
            text.AddRange(t.AsSpan(0, cut).ToArray());
            if (rng.Next(4) == 0) text.Add((byte)"abcd ex"[rng.Next(7)]);
        }
        return [.. text];
    }

    private static int Section(byte[] img, int kind) => (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + (kind - 1) * 24 + 8));
    private static int SectionLength(byte[] img, int kind) => (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + (kind - 1) * 24 + 16));

    [Fact]
    public void Tails_give_the_plain_tries_ids()
    {
        var rng = new Random(21);
        var tokens = LongTokens(rng, 3000);
        byte[] v4 = DatWriter.Build(tokens, "t", "s");
        byte[] v3 = DatWriter.Build(tokens, "t", "s", Crayon.Normalization.TextNormalization.None, null, withTails: false);
        using var withTails = new Tokenizer(Profile.FromBytes(v4));
        using var plain = new Tokenizer(Profile.FromBytes(v3));
        Assert.Equal(DatLayout.TailSlack, SectionLength(v3, 7));   // no tails: the slack only
        using (var l4 = withTails.Acquire())
        {
            Assert.Equal(5u, l4.Profile.Image.FormatVersion);
            Assert.True(l4.Profile.NodeCount * 2 < BinaryPrimitives.ReadUInt32LittleEndian(v3.AsSpan(36)), "tails should leave well under half the cells");
            Assert.True(SectionLength(v4, 7) > DatLayout.TailSlack);
        }
        for (int i = 0; i < 300; i++)
        {
            byte[] text = TextFrom(rng, tokens, rng.Next(1, 40));
            for (int cut = text.Length; cut >= Math.Max(0, text.Length - 3); cut--)   // text ending inside a tail
            {
                int[] ids = withTails.Tokenize(text.AsSpan(0, cut));
                Assert.Equal(plain.Tokenize(text.AsSpan(0, cut)), ids);
                Assert.Equal(text.AsSpan(0, cut).ToArray(), withTails.Decode(ids));
            }
        }
        Profile.FromBytes(v4, verify: true).Release();
        Profile.FromBytes(v3, verify: true).Release();
    }

    /// <summary>A tail record's offset moved past its section: it never matches, the walk stays lossless, verify rejects the file.</summary>
    [Fact]
    public void A_tail_outside_its_section_never_matches_and_verify_rejects_it()
    {
        var rng = new Random(22);
        var tokens = LongTokens(rng, 500);
        byte[] img = DatWriter.Build(tokens, "t", "s");
        int cells = Section(img, 3), count = (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(36));
        int tailsLength = SectionLength(img, 7);
        byte[] bad = (byte[])img.Clone();
        int moved = 0;
        for (int t = 257; t < count; t++)
        {
            uint cell = BinaryPrimitives.ReadUInt32LittleEndian(bad.AsSpan(cells + 4 * t));
            if (!TrieCell.IsTail(cell)) continue;
            uint past = (uint)(tailsLength - DatLayout.TailHeaderBytes - rng.Next(0, DatLayout.TailSlack)) + (uint)rng.Next(0, 1 << 20);
            BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(cells + 4 * t), TrieCell.PackTail(past, TrieCell.Label(cell)));
            moved++;
        }
        Assert.True(moved > 100);
        BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));
        using var tok = new Tokenizer(Profile.FromBytes(bad));
        using var good = new Tokenizer(Profile.FromBytes(img));
        int fewer = 0;
        for (int i = 0; i < 200; i++)
        {
            byte[] text = TextFrom(rng, tokens, 20);
            int[] ids = tok.Tokenize(text);
            Assert.Equal(text, tok.Decode(ids));
            fewer += ids.Length > good.Tokenize(text).Length ? 1 : 0;
        }
        Assert.True(fewer > 100, "with their tails unreadable, long tokens are no longer matched");
        using var lease = tok.Acquire();
        Assert.Contains("tail record", Assert.Throws<DatFormatException>(() => lease.Profile.Verify()).Message);
    }

    /// <summary>One byte of a tail, or its cell's token id, changed and the checksum resealed: the first use refuses, and so does verify.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_changed_tail_is_refused_at_first_use_and_by_verify(bool changeId)
    {
        var words = EngineFixtures.SampleVocabulary();
        byte[] img = DatWriter.Build(words, "t", "s");
        int tails = Section(img, 7);
        int tokenizer = 260 + words.FindIndex(w => w.AsSpan().SequenceEqual(" tokenizer"u8));
        // " tokenizer" is the one token below " tokeni" (which extends the token " token"): that cell's tail is "zer".
        int record = img.AsSpan(tails).IndexOf("zer"u8) - DatLayout.TailHeaderBytes;
        Assert.True(record >= 0);
        int cells = Section(img, 3), values = Section(img, 4), count = (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(36));
        int cell = Enumerable.Range(0, count).Single(t => BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(cells + 4 * t)) is uint c
                                                          && TrieCell.IsTail(c) && TrieCell.TailOffset(c) == (uint)record);
        Assert.Equal(tokenizer, BinaryPrimitives.ReadInt32LittleEndian(img.AsSpan(values + 4 * cell)));
        byte[] bad = (byte[])img.Clone();
        if (changeId) BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(values + 4 * cell), tokenizer - 1);
        else bad[tails + record + DatLayout.TailHeaderBytes] = (byte)'Z';   // the tail "zer" becomes "Zer"
        BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));

        using var tok = new Tokenizer(Profile.FromBytes(bad));
        Assert.Equal("the lazy dog"u8.ToArray(), tok.Decode(tok.Tokenize("the lazy dog"u8)));
        byte[] probe = changeId ? "a tokenizer"u8.ToArray() : "a tokeniZer"u8.ToArray();
        Assert.Contains("disagree", Assert.Throws<DatFormatException>(() => tok.Tokenize(probe)).Message);
        Assert.Throws<DatFormatException>(() => tok.Tokenize(probe));   // nothing was marked
        using var lease = tok.Acquire();
        Assert.Throws<DatFormatException>(() => lease.Profile.Verify());
    }
}
