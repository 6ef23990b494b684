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
        Assert.Equal(5u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(8)));
        Assert.Equal((ulong)img.Length, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(16)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(52)));   // vocabulary version 1
        Assert.Equal(0ul, BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(56)));  // no parent
        Assert.Equal(0, img.Length % 8);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(40)));
        for (int s = 0; s < 7; s++)
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

    /// <summary>
    /// Every image that loads keeps the lossless promise: each tokenize call either fails with a format
    /// error or returns ids that decode to its input. Mutations anywhere, resealed or not; the full
    /// verification rejects every one that changed the file.
    /// </summary>
    [Fact]
    public void Every_accepted_mutation_round_trips_or_fails_cleanly_and_verify_rejects_it()
    {
        var rng = new Random(13);
        byte[] img = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(1), 300), "t", "s");
        byte[][] probes = [EngineFixtures.RandomBytes(rng, 4096), "abcde ab cd eabc dde aabbccdd "u8.ToArray(),
                           System.Text.Encoding.UTF8.GetBytes(EngineFixtures.Sample)];
        int loaded = 0, failedCleanly = 0, verifyRejected = 0, changed = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] bad = (byte[])img.Clone();
            int at = rng.Next(32, bad.Length);
            if (rng.Next(2) == 0) BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(Math.Min(at & ~3, bad.Length - 4)), rng.Next(-3, 100000) * (rng.Next(2) == 0 ? 1 : -1));
            else bad[at] ^= (byte)rng.Next(1, 256);
            bool resealed = rng.Next(2) == 0;
            if (resealed) BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));
            Profile p;
            try { p = Profile.FromBytes(bad); }
            catch (DatFormatException) { continue; }
            loaded++;
            using var tok = new Tokenizer(p);
            foreach (byte[] probe in probes)
            {
                int[] ids;
                try { ids = tok.Tokenize(probe); }
                catch (DatFormatException) { failedCleanly++; continue; }
                Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
                Assert.Equal(probe, tok.Decode(ids));
            }
            if (!bad.AsSpan().SequenceEqual(img) && !resealed)
            {
                changed++;
                using var lease = tok.Acquire();
                Assert.Throws<DatFormatException>(() => lease.Profile.Verify());
                verifyRejected++;
            }
        }
        Assert.True(loaded > 500 && failedCleanly > 0 && changed > 0,
                    $"loaded {loaded} of 3000, {failedCleanly} tokenize calls refused, {verifyRejected}/{changed} rejected by verify");
    }

    /// <summary>The case that motivated lazy checking: one byte of a token changed and the checksum resealed.</summary>
    [Fact]
    public void A_resealed_token_byte_change_is_refused_when_the_token_is_first_used_and_by_verify()
    {
        var words = EngineFixtures.SampleVocabulary();
        byte[] img = DatWriter.Build(words, "t", "s");
        using (var intact = new Tokenizer(Profile.FromBytes(img)))
        {
            using var lease = intact.Acquire();
            lease.Profile.Verify();
            Assert.True(lease.Profile.IsFullyVerified);
        }
        int blob = (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + 5 * 24 + 8));
        int offsets = (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + 4 * 24 + 8));
        int fox = 260 + words.FindIndex(w => w.AsSpan().SequenceEqual(" fox"u8));
        int at = blob + (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(offsets + 4 * fox)) + 1;
        byte[] bad = (byte[])img.Clone();
        bad[at] = (byte)'b';   // " fox" now decodes as " box"
        BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(24), DatChecksum.Compute(bad));

        using var tok = new Tokenizer(Profile.FromBytes(bad));
        Assert.Equal("the lazy dog"u8.ToArray(), tok.Decode(tok.Tokenize("the lazy dog"u8)));
        var e = Assert.Throws<DatFormatException>(() => tok.Tokenize("the quick brown fox"u8));
        Assert.Contains("disagree", e.Message);
        Assert.Throws<DatFormatException>(() => tok.Tokenize("a fox again"u8));   // still refused: nothing was marked
        using var again = tok.Acquire();
        Assert.Contains("differ from the trie path", Assert.Throws<DatFormatException>(() => again.Profile.Verify()).Message);
        Assert.Throws<DatFormatException>(() => Profile.FromBytes(bad, verify: true));
    }

    private static int CellsAt(byte[] img) => (int)BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(64 + 2 * 24 + 8));
    private static uint CellOf(byte[] img, int t) => BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(CellsAt(img) + 4 * t));
    private static void SetCell(byte[] img, int t, uint cell) => BinaryPrimitives.WriteUInt32LittleEndian(img.AsSpan(CellsAt(img) + 4 * t), cell);

    /// <summary>
    /// Loading reads every cell once: garbage there (random words, so bases shared or out of range) is
    /// refused at load, and changed labels and token flags, which keep the bases, load and stay
    /// harmless: every call round-trips or fails cleanly, and verification rejects the file.
    /// </summary>
    [Fact]
    public void Garbage_cells_are_refused_at_load_and_changed_labels_stay_harmless()
    {
        byte[] img = DatWriter.Build(EngineFixtures.RandomVocabulary(new Random(3), 2000), "t", "s");
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(36));
        var rng = new Random(4);
        byte[] garbage = (byte[])img.Clone();
        rng.NextBytes(garbage.AsSpan(CellsAt(img) + 4 * 300, 4 * (count - 300)));   // keep the root and the byte cells
        Assert.Throws<DatFormatException>(() => Profile.FromBytes(garbage));

        byte[] bad = (byte[])img.Clone();
        for (int t = 300; t < count; t++)
        {
            uint cell = CellOf(bad, t);
            if (rng.Next(4) == 0) cell = (cell & ~TrieCell.LabelMask) | (uint)rng.Next(256);
            if (rng.Next(8) == 0 && !TrieCell.IsTail(cell)) cell ^= TrieCell.TerminalBit;
            SetCell(bad, t, cell);
        }
        using var tok = new Tokenizer(Profile.FromBytes(bad));
        int refused = 0;
        for (int i = 0; i < 200; i++)
        {
            byte[] probe = EngineFixtures.RandomBytes(rng, 256);
            for (int k = 0; k < probe.Length; k++) probe[k] = (byte)"abcde "[probe[k] % 6];
            try { Assert.Equal(probe, tok.Decode(tok.Tokenize(probe))); }
            catch (DatFormatException) { refused++; }
        }
        Assert.True(refused > 0, "changed labels should lead some walk to a token whose bytes differ");
        using var lease = tok.Acquire();
        Assert.Throws<DatFormatException>(() => lease.Profile.Verify());
    }

    /// <summary>
    /// What makes a label check sound, each checked at load: no two cells share a base (else a cell
    /// would have two parents, and a token checked on one path would be trusted on the other), no base
    /// lets a step leave the cells, the byte cells carry their byte as label (else a leaf's base-0 step
    /// could enter one), the root's label is not 0, and no cell is both a token end and a tail.
    /// </summary>
    [Theory]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void What_a_label_check_relies_on_is_refused_at_load_when_broken(int vectorBits)
    {
        lock (BaseCheckSwitch)
        {
            DatImage.BaseCheckBits = vectorBits;
            try { LabelCheckInvariants(); }
            finally { DatImage.BaseCheckBits = 256; }
        }
    }

    private static readonly object BaseCheckSwitch = new();

    private static void LabelCheckInvariants()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(img.AsSpan(36));
        Profile.FromBytes(img).Release();
        int[] inner = Enumerable.Range(257, count - 257).Where(t => TrieCell.HasBase(CellOf(img, t))).ToArray();
        Assert.True(inner.Length > 10);

        const uint low = (1u << TrieCell.BaseShift) - 1;
        var rng = new Random(7);
        for (int k = 0; k < 40; k++)
        {
            byte[] shared = (byte[])img.Clone();   // a second cell takes another's base: early, late, in the last partial vector
            int i = k == 0 ? inner[0] : inner[rng.Next(inner.Length)], j = k == 0 ? inner[^1] : inner[rng.Next(inner.Length)];
            if (i == j) continue;
            SetCell(shared, i, (CellOf(img, i) & low) | (CellOf(img, j) & ~low));
            Assert.Contains("shares base", Assert.Throws<DatFormatException>(() => Profile.FromBytes(shared)).Message);
        }
        byte[] leaf = (byte[])img.Clone();   // a leaf given an inner cell's base
        int leafAt = Enumerable.Range(257, count - 257).First(t => TrieCell.IsTerminal(CellOf(img, t)) && TrieCell.Base(CellOf(img, t)) == 0);
        SetCell(leaf, leafAt, CellOf(img, leafAt) | (CellOf(img, inner[^1]) & ~low));
        Assert.Contains("shares base", Assert.Throws<DatFormatException>(() => Profile.FromBytes(leaf)).Message);

        byte[] leaves = (byte[])img.Clone();   // a base past node_count − 256
        SetCell(leaves, inner[0], (CellOf(img, inner[0]) & low) | ((uint)(count - 255) << TrieCell.BaseShift));
        Assert.Contains("out of range", Assert.Throws<DatFormatException>(() => Profile.FromBytes(leaves)).Message);

        for (int c = 0; c < 256; c += 51)
        {
            byte[] label = (byte[])img.Clone();   // byte cell 1 + c with label c + 1: reachable from every leaf
            SetCell(label, 1 + c, (CellOf(img, 1 + c) & ~TrieCell.LabelMask) | (uint)((c + 1) & 0xFF));
            Assert.Contains("byte cell", Assert.Throws<DatFormatException>(() => Profile.FromBytes(label)).Message);
        }
        byte[] root = (byte[])img.Clone();
        SetCell(root, 0, CellOf(img, 0) & ~TrieCell.LabelMask);
        Assert.Contains("root", Assert.Throws<DatFormatException>(() => Profile.FromBytes(root)).Message);

        int tail = Enumerable.Range(257, count - 257).First(t => TrieCell.IsTail(CellOf(img, t)));
        byte[] both = (byte[])img.Clone();
        SetCell(both, tail, CellOf(img, tail) | TrieCell.TerminalBit);
        Assert.Contains("both a token end and a tail", Assert.Throws<DatFormatException>(() => Profile.FromBytes(both)).Message);
    }

    [Fact]
    public void Older_formats_are_refused_with_how_to_rebuild_and_lineage_must_be_consistent()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        foreach (byte version in new byte[] { 1, 2, 3, 4 })
        {
            byte[] old = (byte[])img.Clone();
            old[8] = version;
            var e = Assert.Throws<DatFormatException>(() => Profile.FromBytes(old));
            Assert.Contains($"format version {version}", e.Message);
            Assert.Contains("crayon build", e.Message);
        }
        byte[] orphan = (byte[])img.Clone();      // version 2 of a vocabulary, but no parent
        BinaryPrimitives.WriteUInt32LittleEndian(orphan.AsSpan(52), 2);
        Assert.Contains("lineage", Assert.Throws<DatFormatException>(() => Profile.FromBytes(orphan)).Message);
    }

    [Fact]
    public void Wrong_version_section_count_and_magic_say_so()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "s");
        byte[] v6 = (byte[])img.Clone();
        v6[8] = 6;
        Assert.Contains("version 6", Assert.Throws<DatFormatException>(() => Profile.FromBytes(v6)).Message);
        byte[] six = (byte[])img.Clone();
        six[40] = 6;
        Assert.Contains("section count", Assert.Throws<DatFormatException>(() => Profile.FromBytes(six)).Message);
        byte[] magic = (byte[])img.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<DatFormatException>(() => Profile.FromBytes(magic)).Message);
    }

    [Fact]
    public void Verify_checks_the_checksum()
    {
        byte[] img = DatWriter.Build(EngineFixtures.SampleVocabulary(), "t", "a source string");
        Profile.FromBytes(img, verify: true).Release();
        byte[] bad = (byte[])img.Clone();
        bad[img.AsSpan().IndexOf("source"u8)] = (byte)'S';   // the metadata: still valid UTF-8, loads fine
        Profile p = Profile.FromBytes(bad);
        Assert.Contains("checksum mismatch", Assert.Throws<DatFormatException>(() => p.Verify()).Message);
        p.Release();
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
            foreach (bool direct in new[] { true, false }) // mmap and the MemoryMappedFile fallback
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
