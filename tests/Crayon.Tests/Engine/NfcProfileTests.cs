using System.Buffers.Binary;
using System.Text;
using Crayon.Dat;
using Crayon.Normalization;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

/// <summary>The NFC header flag: stored, validated, and applied by tokenize and batch tokenize.</summary>
public unsafe class NfcProfileTests
{
    private static readonly List<byte[]> Words = EngineFixtures.Words("caf\u00E9", " caf\u00E9", "\u00C5ngstr\u00F6m", " the", "\uD55C\uAD6D");

    private static Tokenizer Load(TextNormalization normalization) =>
        new(Profile.FromBytes(DatWriter.Build(Words, "nfc-test", "tests", normalization)));

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void The_flag_is_header_bit_0_and_the_profile_reports_it()
    {
        byte[] nfc = DatWriter.Build(Words, "n", "s", TextNormalization.Nfc);
        byte[] none = DatWriter.Build(Words, "n", "s");
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(nfc.AsSpan(DatLayout.OffFlags)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(none.AsSpan(DatLayout.OffFlags)));
        Assert.Equal(TextNormalization.Nfc, Profile.FromBytes(nfc).Normalization);
        Assert.Equal(TextNormalization.None, Profile.FromBytes(none).Normalization);
    }

    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(0x8000_0000u)]
    public void Unknown_flag_bits_are_rejected_even_with_a_valid_checksum(uint flags)
    {
        byte[] img = DatWriter.Build(Words, "n", "s");
        BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(DatLayout.OffFlags), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(img.AsSpan(DatLayout.OffChecksum), DatChecksum.Compute(img));
        var e = Assert.Throws<DatFormatException>(() => Profile.FromBytes(img));
        Assert.Contains("unknown header flags", e.Message);
    }

    [Fact]
    public void Decomposed_and_precomposed_text_tokenize_alike_and_decode_to_nfc()
    {
        using Tokenizer tok = Load(TextNormalization.Nfc);
        string composed = "caf\u00E9 \u00C5ngstr\u00F6m the \uD55C\uAD6D";
        string decomposed = "cafe\u0301 \u212Bngstro\u0308m the \u1112\u1161\u11AB\u1100\u116E\u11A8";
        int[] ids = tok.Tokenize(Utf8(composed));
        Assert.Equal(ids, tok.Tokenize(Utf8(decomposed)));
        Assert.Equal(Utf8(composed), tok.Decode(ids));
        Assert.Equal(6, ids.Length);   // café, " ", Ångström, " the", " ", 한국: every word one token
    }

    [Fact]
    public void Without_the_flag_decomposed_text_stays_byte_exact()
    {
        using Tokenizer tok = Load(TextNormalization.None);
        byte[] decomposed = Utf8("cafe\u0301 \u212Bngstro\u0308m");
        int[] ids = tok.Tokenize(decomposed);
        Assert.Equal(decomposed, tok.Decode(ids));
        Assert.NotEqual(tok.Tokenize(Utf8("caf\u00E9 \u00C5ngstr\u00F6m")).Length, ids.Length);
    }

    [Fact]
    public void Ascii_and_invalid_bytes_are_unchanged_by_an_nfc_profile()
    {
        using Tokenizer nfc = Load(TextNormalization.Nfc);
        using Tokenizer none = Load(TextNormalization.None);
        byte[] ascii = Utf8("the quick brown fox the end");
        Assert.Equal(none.Tokenize(ascii), nfc.Tokenize(ascii));
        byte[] invalid = [(byte)'e', 0xFF, 0xCC, 0x81, 0xC3];   // e, invalid, U+0301, truncated
        Assert.Equal(invalid, nfc.Decode(nfc.Tokenize(invalid)));
    }

    [Fact]
    public void Text_that_nfc_lengthens_needs_more_ids_than_bytes()
    {
        using Tokenizer tok = Load(TextNormalization.Nfc);
        byte[] text = Utf8(string.Concat(Enumerable.Repeat("\U0001D160", 100)));   // 4 bytes → 12 each
        int[] ids = tok.Tokenize(text);
        Assert.Equal(1200, ids.Length);
        var small = new int[text.Length];
        Assert.Equal(1200, tok.Tokenize(text, small));   // the count, when the buffer is too small
        Assert.Equal(ids[..text.Length], small);
    }

    [Fact]
    public void Batch_tokenize_normalizes_each_document()
    {
        using Tokenizer tok = Load(TextNormalization.Nfc);
        string[] docs = ["cafe\u0301 the", "", "plain ascii", "\U0001D160\U0001D160", "\u212Bngstro\u0308m", "\uD55C\uAD6D"];
        byte[][] bytes = docs.Select(Utf8).ToArray();
        int[][] expected = bytes.Select(b => tok.Tokenize(b)).ToArray();
        long total = expected.Sum(e => (long)e.Length);

        var handles = bytes.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            nint[] ptrs = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
            long[] lens = bytes.Select(b => (long)b.Length).ToArray();
            // A buffer of the normalised byte total (the region path) and one of the exact total (the counting path).
            foreach (long cap in new[] { 3L * lens.Sum(), total, total - 1 })
            {
                var output = new int[Math.Max(cap, 1)];
                var offsets = new long[docs.Length + 1];
                long n;
                fixed (int* o = output)
                fixed (long* off = offsets)
                    n = tok.TokenizeBatch(ptrs, lens, o, cap, off, threads: 3);
                if (cap < total) { Assert.Equal(-total, n); continue; }
                Assert.Equal(total, n);
                for (int i = 0; i < docs.Length; i++)
                    Assert.Equal(expected[i], output[(int)offsets[i]..(int)offsets[i + 1]]);
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    [Fact]
    public void Building_with_nfc_normalizes_the_entries()
    {
        // "cafe" + U+0301 becomes "café", a repeat of the first entry; the list keeps one.
        var words = EngineFixtures.Words("caf\u00E9", "cafe\u0301", "\u212B\u212B");
        Profile nfc = Profile.FromBytes(DatWriter.Build(words, "n", "s", TextNormalization.Nfc));
        Profile none = Profile.FromBytes(DatWriter.Build(words, "n", "s"));
        Assert.Equal(260 + 2, nfc.VocabSize);
        Assert.Equal(260 + 3, none.VocabSize);
        using var tok = new Tokenizer(nfc);
        Assert.Equal(Utf8("\u00C5\u00C5"), tok.Decode([261]));
        none.Release();
    }
}
