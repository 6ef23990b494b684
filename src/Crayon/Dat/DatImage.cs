using System.Buffers.Binary;
using System.Text;
using System.Runtime.Intrinsics;
using Crayon.Normalization;
using Crayon.Trie;

namespace Crayon.Dat;

/// <summary>
/// A validated view of a .dat image that lives in memory the caller keeps alive (a mapping, a pinned
/// copy or a borrowed buffer). Nothing is copied: the tokenizer walks <see cref="Nodes"/> in place.
/// <see cref="Open"/> checks everything a later read depends on, so the hot loops need no bounds checks.
/// </summary>
internal readonly unsafe struct DatImage
{
    public readonly TrieNode* Nodes;
    public readonly int NodeCount;
    public readonly uint* TokenOffsets; // vocab_size + 1 entries
    public readonly byte* TokenBytes;
    public readonly int VocabSize;
    public readonly int MaxTokenBytes;
    public readonly ulong Checksum;
    public readonly long Length;
    public readonly string Name;
    public readonly string Source;
    public readonly TextNormalization Normalization;
    public readonly uint FormatVersion;
    public readonly Lineage Lineage;

    private DatImage(TrieNode* nodes, int nodeCount, uint* offsets, byte* bytes, int vocabSize, int maxTokenBytes,
                     ulong checksum, long length, string name, string source, TextNormalization normalization,
                     uint formatVersion, Lineage lineage)
    {
        Nodes = nodes; NodeCount = nodeCount; TokenOffsets = offsets; TokenBytes = bytes; VocabSize = vocabSize;
        MaxTokenBytes = maxTokenBytes; Checksum = checksum; Length = length; Name = name; Source = source;
        Normalization = normalization; FormatVersion = formatVersion; Lineage = lineage;
    }

    public ReadOnlySpan<byte> TokenAt(int id) =>
        new(TokenBytes + TokenOffsets[id], (int)(TokenOffsets[id + 1] - TokenOffsets[id]));

    /// <summary>Validates the image at data[0..length) and returns a view of it, or throws DatFormatException.</summary>
    public static DatImage Open(byte* data, long length)
    {
        if (data == null) throw new ArgumentException("data is NULL");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the .dat format is read in place and needs a little-endian CPU");
        if (length < DatLayout.HeaderSize)
            throw Bad($"{length} bytes is shorter than the {DatLayout.HeaderSize}-byte header (truncated file?)");
        var header = new ReadOnlySpan<byte>(data, DatLayout.HeaderSize);
        if (!header[..8].SequenceEqual(DatLayout.Magic)) throw Bad("not a Crayon .dat file (bad magic)");
        uint version = U32(header, DatLayout.OffVersion);
        if (version < DatLayout.OldestReadableVersion || version > DatLayout.Version)
            throw Bad($"format version {version} is not supported (this library reads versions " +
                      $"{DatLayout.OldestReadableVersion}..{DatLayout.Version}; rebuild the file from its list with crayon build)");
        uint flags = U32(header, DatLayout.OffFlags);
        if ((flags & ~DatLayout.KnownFlags) != 0)
            throw Bad($"unknown header flags 0x{flags & ~DatLayout.KnownFlags:x} (this library knows 0x{DatLayout.KnownFlags:x}: NFC)");
        ulong fileSize = U64(header, DatLayout.OffFileSize);
        if (fileSize != (ulong)length)
            throw Bad(fileSize > (ulong)length
                ? $"truncated: the header says {fileSize} bytes, {length} present"
                : $"{length} bytes present but the header says {fileSize}");
        if (length % 8 != 0 || length > int.MaxValue) throw Bad("file size is not a multiple of 8 or exceeds 2 GiB");
        Lineage lineage = Lineage.Root;
        if (version == 1)
        {
            for (int i = DatLayout.OffVocabVersion; i < DatLayout.HeaderSize; i++)
                if (header[i] != 0) throw Bad("reserved header bytes are not zero");
        }
        else
        {
            lineage = new Lineage(U32(header, DatLayout.OffVocabVersion), U64(header, DatLayout.OffParentChecksum));
            if (!lineage.IsValid) throw Bad($"lineage: vocabulary version {lineage.Version} with parent checksum {lineage.ParentChecksum:x16} " +
                                            "(version 1 has no parent; a later version has one)");
        }

        var all = new ReadOnlySpan<byte>(data, (int)length);
        ulong stored = U64(header, DatLayout.OffChecksum);
        ulong actual = DatChecksum.Compute(all);
        if (stored != actual) throw Bad($"checksum mismatch (stored {stored:x16}, computed {actual:x16}): the file is corrupt");

        uint vocab = U32(header, DatLayout.OffVocabSize);
        uint nodeCount = U32(header, DatLayout.OffNodeCount);
        uint maxTok = U32(header, DatLayout.OffMaxTokenBytes);
        if (vocab < DatLayout.FirstLearnedId || vocab > DatLayout.MaxVocabSize) throw Bad($"vocab_size {vocab} out of range");
        if (nodeCount < 257 || nodeCount > int.MaxValue / TrieNode.Size) throw Bad($"node_count {nodeCount} out of range");
        if (U32(header, DatLayout.OffSectionCount) != DatLayout.SectionCount) throw Bad("section count is not 5");
        long table = U32(header, DatLayout.OffSectionTable);
        if (table != DatLayout.HeaderSize) throw Bad("section table must follow the header");

        Span<long> off = stackalloc long[DatLayout.SectionCount];
        Span<long> size = stackalloc long[DatLayout.SectionCount];
        long minStart = DatLayout.AlignUp(table + DatLayout.SectionCount * DatLayout.SectionEntrySize);
        for (int s = 0; s < DatLayout.SectionCount; s++)
        {
            var e = all.Slice((int)table + s * DatLayout.SectionEntrySize, DatLayout.SectionEntrySize);
            if (U32(e, 0) != s + 1 || U32(e, 4) != 0) throw Bad($"section table entry {s} has kind {U32(e, 0)} (expected {s + 1})");
            ulong o = U64(e, 8), z = U64(e, 16);
            if (o % DatLayout.Alignment != 0) throw Bad($"section {s + 1} is not 8-byte aligned");
            if (o < (ulong)minStart || o > (ulong)length || z > (ulong)length - o)
                throw Bad($"section {s + 1} ({o}+{z}) lies outside the file or overlaps the previous one");
            off[s] = (long)o; size[s] = (long)z;
            minStart = (long)o + (long)z;
        }
        if (size[0] != (long)nodeCount * TrieNode.Size) throw Bad("trie section size does not match node_count");
        if (size[1] != 4L * (vocab + 1)) throw Bad("token offset section size does not match vocab_size");

        var nodes = (TrieNode*)(data + off[0]);
        var offsets = (uint*)(data + off[1]);
        byte* blob = data + off[2];
        ValidateNodes(nodes, (int)nodeCount, (int)vocab);
        ValidateTokens(offsets, (int)vocab, size[2], maxTok);

        var specials = all.Slice((int)off[3], (int)size[3]);
        if (specials.Length < 4 || U32(specials, 0) != DatLayout.SpecialCount || specials.Length != 4 + 4 * DatLayout.SpecialCount)
            throw Bad("special token section must list the 4 fixed specials");
        for (int i = 0; i < DatLayout.SpecialCount; i++)
            if (U32(specials, 4 + 4 * i) != i) throw Bad("special token ids must be 0..3");

        var meta = all.Slice((int)off[4], (int)size[4]);
        string name = ReadString(ref meta, "name");
        string source = ReadString(ref meta, "source");
        if (!meta.IsEmpty) throw Bad("trailing bytes in the metadata section");

        var normalization = (flags & DatLayout.FlagNfc) != 0 ? TextNormalization.Nfc : TextNormalization.None;
        return new DatImage(nodes, (int)nodeCount, offsets, blob, (int)vocab, (int)maxTok, stored, length, name, source,
                            normalization, version, lineage);
    }

    /// <summary>Off in tests to exercise the scalar check alone; both must accept exactly the same images.</summary>
    internal static bool UseVectors = Vector128.IsHardwareAccelerated;

    private static void ValidateNodes(TrieNode* nodes, int count, int vocab)
    {
        // Every reachable index is Base + byte ≤ count − 1, so the walk needs no bounds check.
        // Each field is checked with one unsigned compare: (uint)(field + bias) > limit, where the
        // bias 1 maps the allowed −1 of check/value to 0. The fast pass only says "some cell is bad";
        // a failing image then pays for the scalar pass that names the cell.
        uint maxBase = (uint)(count - 256), maxCheck = (uint)count, maxValue = (uint)vocab;
        bool bad = false;
        int i = 0;
        if (UseVectors && count >= 4)
        {
            // 4 cells = 12 ints = 3 vectors; the field pattern (base, check, value) repeats every 3 vectors.
            // Vector128 because the NativeAOT build targets the x64 baseline, where only 128-bit is accelerated.
            uint* ints = (uint*)nodes;
            Vector128<uint> b0 = Pattern(0, 0u, 1u, 1u), b1 = Pattern(1, 0u, 1u, 1u), b2 = Pattern(2, 0u, 1u, 1u);
            Vector128<uint> l0 = Pattern(0, maxBase, maxCheck, maxValue), l1 = Pattern(1, maxBase, maxCheck, maxValue),
                            l2 = Pattern(2, maxBase, maxCheck, maxValue);
            Vector128<uint> acc = Vector128<uint>.Zero;
            for (; i + 4 <= count; i += 4)
            {
                uint* q = ints + (long)i * 3;
                acc |= Vector128.GreaterThan(Vector128.Load(q) + b0, l0);
                acc |= Vector128.GreaterThan(Vector128.Load(q + 4) + b1, l1);
                acc |= Vector128.GreaterThan(Vector128.Load(q + 8) + b2, l2);
            }
            bad = acc != Vector128<uint>.Zero;
        }
        for (; i < count; i++)
        {
            TrieNode n = nodes[i];
            bad |= ((uint)n.Base > maxBase) | ((uint)(n.Check + 1) > maxCheck) | ((uint)(n.Value + 1) > maxValue);
        }
        if (bad)
        {
            for (i = 0; i < count; i++)
            {
                TrieNode n = nodes[i];
                if ((uint)n.Base > maxBase) throw Bad($"trie node {i}: base {n.Base} out of range");
                if (n.Check < -1 || n.Check >= count) throw Bad($"trie node {i}: check {n.Check} out of range");
                if (n.Value < -1 || n.Value >= vocab) throw Bad($"trie node {i}: token id {n.Value} out of range");
            }
        }
        if (nodes[0].Base != 1) throw Bad("trie root must have base 1");
        for (int c = 0; c < 256; c++)
        {
            TrieNode n = nodes[1 + c];
            if (n.Check != 0 || n.Value != DatLayout.ByteIdBase + c) throw Bad($"byte token {c} is missing from the trie");
        }
    }

    private static void ValidateTokens(uint* offsets, int vocab, long blobLen, uint maxTok)
    {
        if (offsets[0] != 0) throw Bad("token offsets must start at 0");
        uint longest = 0;
        for (int i = 0; i < vocab; i++)
        {
            if (offsets[i + 1] < offsets[i]) throw Bad($"token offsets decrease at id {i}");
            longest = Math.Max(longest, offsets[i + 1] - offsets[i]);
        }
        if (offsets[vocab] != blobLen) throw Bad("token offsets do not end at the token byte section's end");
        for (int c = 0; c < 256; c++)
            if (offsets[DatLayout.ByteIdBase + c + 1] - offsets[DatLayout.ByteIdBase + c] != 1) throw Bad($"byte token {c} is not one byte");
        if (maxTok < longest || maxTok == 0) throw Bad("max_token_bytes is smaller than the longest token");
    }

    /// <summary>4 ints of the repeating (base, check, value) pattern, starting at field phase.</summary>
    private static Vector128<uint> Pattern(int phase, uint forBase, uint forCheck, uint forValue)
    {
        Span<uint> v = stackalloc uint[4];
        for (int k = 0; k < 4; k++)
            v[k] = ((phase + k) % 3) switch { 0 => forBase, 1 => forCheck, _ => forValue };
        return Vector128.Create<uint>(v);
    }

    private static string ReadString(ref ReadOnlySpan<byte> s, string what)
    {
        if (s.Length < 4) throw Bad($"metadata {what} is truncated");
        uint n = U32(s, 0);
        if (n > (uint)(s.Length - 4)) throw Bad($"metadata {what} is truncated");
        var bytes = s.Slice(4, (int)n);
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Bad($"metadata {what} is not UTF-8");
        s = s.Slice(4 + (int)n);
        return Encoding.UTF8.GetString(bytes);
    }

    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(at));
    private static ulong U64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s.Slice(at));
    private static DatFormatException Bad(string message) => new("invalid .dat: " + message);
}
