using System.Buffers.Binary;
using Crayon.Dat;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

public class DatFormatTests
{
    private static readonly object MappedFileSwitch = new();

    [Fact]
    public void Building_the_same_list_twice_gives_the_same_bytes()
    {
        var rng = new Random(5);
        var tokens = EngineFixtures.RandomVocabulary(rng, 5000);
        Assert.Equal(DatWriter.Build(tokens, "n", "s"), DatWriter.Build(tokens.Select(t => t.ToArray()).ToList(), "n", "s"));
        Assert.NotEqual(DatWriter.Build(tokens, "n", "s"), DatWriter.Build(tokens, "n", "other"));
    }

    [Fact]
    public void Header_fields_are_little_endian_and_sections_aligned()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "sample", "tests");
        Assert.Equal("CRAYDAT\x1A"u8.ToArray(), img[..8]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(8)));
        Assert.Equal((ulong)img.Length, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(16)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(52)));   // vocabulary version 1
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(56)));  // no parent
        Assert.Equal(0, img.Length % 8);
        for (int s = 0; s < 5; s++)
            Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + 24 * s + 8)) % 8);
        var p = Profile.FromBytes(img);
        Assert.Equal("sample", p.Name);
        Assert.Equal("tests", p.Source);
        Assert.Equal(260 + EngineFixtures.SampleVocabulary().Count, p.VocabSize);
    }

    [Fact]
    public void Every_truncation_is_a_format_error()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        for (int len = 0; len < img.Length; len += len < 200 ? 1 : 97)
            Assert.Throws<DatFormatException>(() => Profile.FromBytes(img.AsSpan(0, len)));
    }

    [Fact]
    public void Random_corruption_is_caught_by_the_checksum()
    {
        var rng = new Random(11);
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        for (int i = 0; i < 2000; i++)
        {
            byte[] bad = (byte[])img.Clone();
            int flips = rng.Next(1, 4);
            for (int f = 0; f < flips; f++) bad[rng.Next(bad.Length)] ^= (byte)rng.Next(1, 256);
            Assert.Throws<DatFormatException>(() => Profile.FromBytes(bad));
        }
    }

    /// <summary>A hostile file carries a correct checksum: validation alone must keep reads in bounds.</summary>
    [Fact]
    public void Hostile_files_with_a_valid_checksum_are_rejected_or_safe()
    {
        var rng = new Random(13);
        byte[] img = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(1), 300), "t", "s");
        int rejected = 0;
        byte[] probe = EngineFixtures.RandomBytes(rng, 4096);
        for (int i = 0; i < 3000; i++)
        {
            byte[] bad = (byte[])img.Clone();
            int at = rng.Next(32, bad.Length); // keep magic/version/size mostly intact to reach deeper checks
            if (rng.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(at & ~3), rng.Next(-3, 100000) * (rng.Next(2) == 0 ? 1 : -1));
            else bad[at] ^= (byte)rng.Next(1, 256);
            BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));
            Profile p;
            try { p = Profile.FromBytes(bad); }
            catch (DatFormatException) { rejected++; continue; }
            using var tok = new Tokenizer(p);
            int[] ids = tok.Tokenize(probe);
            Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
            tok.Decode(ids); // in range, so it must not throw
        }
        Assert.True(rejected > 1000, $"only {rejected} of 3000 hostile images were rejected");
    }

    /// <summary>The vectorised and the scalar cell checks accept exactly the same images.</summary>
    [Fact]
    public void Scalar_and_vector_validation_agree_on_hostile_cells()
    {
        var rng = new Random(17);
        byte[] img = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(2), 200), "t", "s");
        int trieStart = (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + 8));
        int nodes = (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(36));
        bool saved = DatImage.UseVectors;
        try
        {
            for (int i = 0; i < 1500; i++)
            {
                byte[] bad = (byte[])img.Clone();
                int cell = rng.Next(nodes), field = rng.Next(3);
                int value = rng.Next(4) switch { 0 => -1, 1 => -2, 2 => nodes - 256 + rng.Next(-2, 3), _ => rng.Next(-5, nodes + 300) };
                BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(trieStart + cell * 12 + field * 4), value);
                BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));
                bool Accepts(bool vectors)
                {
                    DatImage.UseVectors = vectors;
                    try { Profile.FromBytes(bad).Release(); return true; }
                    catch (DatFormatException) { return false; }
                }
                Assert.Equal(Accepts(false), Accepts(true));
            }
        }
        finally { DatImage.UseVectors = saved; }
    }

    [Fact]
    public void Version_1_files_still_load_as_roots_and_lineage_must_be_consistent()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        byte[] v1 = (byte[])img.Clone();
        v1[8] = 1;
        v1.AsSpan(52, 12).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(v1.AsSpan(24), DatChecksum.Compute(v1));
        Profile old = Profile.FromBytes(v1);
        Assert.Equal(1u, old.Image.FormatVersion);
        Assert.Equal(Lineage.Root, old.Image.Lineage);
        old.Release();

        byte[] orphan = (byte[])img.Clone();      // version 2 of a vocabulary, but no parent
        BinaryPrimitives.WriteUInt32LittleEndian(orphan.AsSpan(52), 2);
        BinaryPrimitives.WriteUInt64LittleEndian(orphan.AsSpan(24), DatChecksum.Compute(orphan));
        Assert.Contains("lineage", Assert.Throws<DatFormatException>(() => Profile.FromBytes(orphan)).Message);
    }

    [Fact]
    public void Wrong_version_and_magic_say_so()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        byte[] v3 = (byte[])img.Clone();
        v3[8] = 3;
        BinaryPrimitives.WriteUInt64LittleEndian(v3.AsSpan(24), DatChecksum.Compute(v3));
        Assert.Contains("version 3", Assert.Throws<DatFormatException>(() => Profile.FromBytes(v3)).Message);
        byte[] magic = (byte[])img.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<DatFormatException>(() => Profile.FromBytes(magic)).Message);
    }

    [Fact]
    public void Mapped_file_and_buffer_give_the_same_tokens()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        string path = Path.Combine(Path.GetTempPath(), $"crayon-test-{Environment.ProcessId}.dat");
        File.WriteAllBytes(path, img);
        try
        {
            using var b = new Tokenizer(Profile.FromBytes(img));
            byte[] text = System.Text.Encoding.UTF8.GetBytes(EngineFixtures.Sample);
            foreach (bool direct in new[] { true, false }) // mmap(MAP_POPULATE) and the MemoryMappedFile fallback
            {
                Profile mapped;
                lock (MappedFileSwitch) { MappedFile.UseMmap = direct; try { mapped = Profile.Map(path); } finally { MappedFile.UseMmap = true; } }
                using var a = new Tokenizer(mapped);
                Assert.Equal(b.Tokenize(text), a.Tokenize(text));
            }
            File.WriteAllBytes(path, img[..40]);
            Assert.Throws<DatFormatException>(() => Profile.Map(path));
        }
        finally { File.Delete(path); }
    }
}
