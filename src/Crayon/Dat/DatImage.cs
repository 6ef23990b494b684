using System.Buffers.Binary;
using System.Text;
using Crayon.Normalization;

namespace Crayon.Dat;

/// <summary>
/// A view of a .dat image (format 4, or 3: without tails) in memory the caller keeps alive (a
/// mapping, a private copy or a borrowed buffer). Nothing is copied and, on purpose, almost nothing
/// is read: <see cref="Open"/> checks the header, the section table, the specials, the metadata, the
/// root cell and the parents of the 256 byte cells — all in the file's first page — so loading costs
/// the same for 50k and 250k ids and only the pages a walk touches become resident.
/// Safety holds without a full scan because of how the file is read, not because it was checked
/// (docs/dat-format.md, "Guarantees"): a step whose index falls outside the cells lands on the root,
/// whose check no walk can match; every id is range-checked where it is used; and a token's bytes
/// are compared with the bytes the walk matched the first time each cell emits it
/// (<see cref="VerifiedCells"/>).
/// <see cref="Verify"/> is the full check: checksum, every cell, every token against its trie path.
/// </summary>
internal readonly unsafe struct DatImage
{
    public readonly ulong* Cells;
    public readonly int* Values;
    public readonly int NodeCount;
    public readonly uint* TokenOffsets; // vocab_size + 1 entries
    public readonly byte* TokenBytes;
    public readonly uint TokenBytesLength;
    public readonly int VocabSize;
    public readonly int MaxTokenBytes;
    public readonly ulong Checksum;
    public readonly byte* Data;
    public readonly long Length;
    public readonly string Name;
    public readonly string Source;
    public readonly TextNormalization Normalization;
    public readonly uint FormatVersion;
    public readonly Lineage Lineage;
    public readonly byte* Tails;        // the tail records (format 4; empty in format 3)
    public readonly uint TailsLength;

    private DatImage(ulong* cells, int* values, int nodeCount, uint* offsets, byte* bytes, uint bytesLength, int vocabSize,
                     int maxTokenBytes, ulong checksum, byte* data, long length, string name, string source,
                     TextNormalization normalization, Lineage lineage, uint version, byte* tails, uint tailsLength)
    {
        Cells = cells; Values = values; NodeCount = nodeCount; TokenOffsets = offsets; TokenBytes = bytes;
        TokenBytesLength = bytesLength; VocabSize = vocabSize; MaxTokenBytes = maxTokenBytes; Checksum = checksum;
        Data = data; Length = length; Name = name; Source = source; Normalization = normalization;
        Lineage = lineage; FormatVersion = version; Tails = tails; TailsLength = tailsLength;
    }

    /// <summary>
    /// The bytes a tail cell holds (the rest of its token), or false when its record (with the slack
    /// after it that an 8-byte compare reads) does not lie inside the tails section.
    /// </summary>
    public bool TryTail(ulong cell, out ReadOnlySpan<byte> rest)
    {
        rest = default;
        ulong at = TrieCell.TailOffset(cell);
        if (at + DatLayout.TailHeaderBytes + DatLayout.TailSlack > TailsLength) return false;
        byte* record = Tails + at;
        int length = record[0];
        if (at + DatLayout.TailHeaderBytes + (ulong)length + DatLayout.TailSlack > TailsLength) return false;
        rest = new ReadOnlySpan<byte>(record + DatLayout.TailHeaderBytes, length);
        return true;
    }

    /// <summary>The bytes of token id, or a DatFormatException when the table puts them outside the file.</summary>
    public ReadOnlySpan<byte> TokenAt(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside 0..{VocabSize - 1}");
        uint start = TokenOffsets[id], end = TokenOffsets[id + 1];
        if (start > end || end > TokenBytesLength) throw CorruptToken(id);
        return new ReadOnlySpan<byte>(TokenBytes + start, (int)(end - start));
    }

    internal static DatFormatException CorruptToken(int id) =>
        Bad($"the token table puts token {id} outside its section (the file is corrupt; `crayon info --verify` checks it whole)");

    /// <summary>Checks the fixed-size parts of the image at data[0..length) and returns a view, or throws DatFormatException.</summary>
    public static DatImage Open(byte* data, long length)
    {
        if (data == null) throw new ArgumentException("data is NULL");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the .dat format is read in place and needs a little-endian CPU");
        if (length < DatLayout.HeaderSize)
            throw Bad($"{length} bytes is shorter than the {DatLayout.HeaderSize}-byte header (truncated file?)");
        var header = new ReadOnlySpan<byte>(data, DatLayout.HeaderSize);
        if (!header[..8].SequenceEqual(DatLayout.Magic)) throw Bad("not a Crayon .dat file (bad magic)");
        uint version = U32(header, DatLayout.OffVersion);
        if (version is < DatLayout.OldestReadVersion or > DatLayout.Version)
            throw Bad(version is 1 or 2
                ? $"format version {version} was written by an older Crayon; this library reads versions {DatLayout.OldestReadVersion} and {DatLayout.Version}. " +
                  "Rebuild the file from its vocabulary list: crayon build LIST.json -o FILE.dat (the bundled profiles are rebuilt by `make profiles`)"
                : $"format version {version} is not supported (this library reads versions {DatLayout.OldestReadVersion} and {DatLayout.Version})");
        uint flags = U32(header, DatLayout.OffFlags);
        if ((flags & ~DatLayout.KnownFlags) != 0)
            throw Bad($"unknown header flags 0x{flags & ~DatLayout.KnownFlags:x} (this library knows 0x{DatLayout.KnownFlags:x}: NFC)");
        ulong fileSize = U64(header, DatLayout.OffFileSize);
        if (fileSize != (ulong)length)
            throw Bad(fileSize > (ulong)length
                ? $"truncated: the header says {fileSize} bytes, {length} present"
                : $"{length} bytes present but the header says {fileSize}");
        if (length % 8 != 0 || length > int.MaxValue) throw Bad("file size is not a multiple of 8 or exceeds 2 GiB");
        var lineage = new Lineage(U32(header, DatLayout.OffVocabVersion), U64(header, DatLayout.OffParentChecksum));
        if (!lineage.IsValid) throw Bad($"lineage: vocabulary version {lineage.Version} with parent checksum {lineage.ParentChecksum:x16} " +
                                        "(version 1 has no parent; a later version has one)");

        var all = new ReadOnlySpan<byte>(data, (int)length);
        uint vocab = U32(header, DatLayout.OffVocabSize);
        uint nodeCount = U32(header, DatLayout.OffNodeCount);
        uint maxTok = U32(header, DatLayout.OffMaxTokenBytes);
        if (vocab < DatLayout.FirstLearnedId || vocab > DatLayout.MaxVocabSize) throw Bad($"vocab_size {vocab} out of range");
        if (nodeCount < 257 || nodeCount > int.MaxValue / 8) throw Bad($"node_count {nodeCount} out of range");
        if (maxTok == 0 || maxTok > 1u << 20) throw Bad($"max_token_bytes {maxTok} out of range");
        int sectionCount = DatLayout.SectionCountOf(version);
        if (U32(header, DatLayout.OffSectionCount) != sectionCount) throw Bad($"section count is not {sectionCount} (format version {version})");
        long table = U32(header, DatLayout.OffSectionTable);
        if (table != DatLayout.HeaderSize) throw Bad("section table must follow the header");

        Span<long> off = stackalloc long[DatLayout.SectionCount];
        Span<long> size = stackalloc long[DatLayout.SectionCount];
        long minStart = DatLayout.AlignUp(table + sectionCount * DatLayout.SectionEntrySize);
        if (minStart > length) throw Bad("the section table runs past the end of the file");
        for (int s = 0; s < sectionCount; s++)
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
        if (size[2] != 8L * nodeCount) throw Bad("cell section size does not match node_count");
        if (size[3] != 4L * nodeCount) throw Bad("value section size does not match node_count");
        if (size[4] != 4L * (vocab + 1)) throw Bad("token offset section size does not match vocab_size");

        var cells = (ulong*)(data + off[2]);
        var values = (int*)(data + off[3]);
        var offsets = (uint*)(data + off[4]);
        byte* blob = data + off[5];
        uint blobLen = (uint)size[5];
        // The root's check is what clamped steps meet; its base is the first-byte table's offset. The
        // byte cells are entered directly, never by a step, so their parent must be the root: with
        // any other parent a step could reach one by a second path, and the first-use check of a
        // cell relies on each cell having one path. All 257 cells lie in the file's first page.
        if (TrieCell.Base(cells[0]) != 1 || !TrieCell.IsFree(cells[0])) throw Bad("trie root must have base 1 and no parent");
        for (int c = 1; c <= 256; c++)
            if (TrieCell.Parent(cells[c]) != 0) throw Bad($"byte cell {c} must have the root as parent");

        var specials = all.Slice((int)off[0], (int)size[0]);
        if (specials.Length != 4 + 4 * DatLayout.SpecialCount || U32(specials, 0) != DatLayout.SpecialCount)
            throw Bad("special token section must list the 4 fixed specials");
        for (int i = 0; i < DatLayout.SpecialCount; i++)
            if (U32(specials, 4 + 4 * i) != i) throw Bad("special token ids must be 0..3");

        var meta = all.Slice((int)off[1], (int)size[1]);
        string name = ReadString(ref meta, "name");
        string source = ReadString(ref meta, "source");
        if (!meta.IsEmpty) throw Bad("trailing bytes in the metadata section");

        var normalization = (flags & DatLayout.FlagNfc) != 0 ? TextNormalization.Nfc : TextNormalization.None;
        byte* tails = sectionCount > 6 ? data + off[6] : null;
        uint tailsLength = sectionCount > 6 ? (uint)size[6] : 0;
        return new DatImage(cells, values, (int)nodeCount, offsets, blob, blobLen, (int)vocab, (int)maxTok,
                            U64(header, DatLayout.OffChecksum), data, length, name, source, normalization, lineage,
                            version, tails, tailsLength);
    }

    /// <summary>
    /// Full verification: the checksum, every cell's fields, the token table, and every token that the
    /// trie can emit against the bytes of its path. Marks every cell verified on success.
    /// </summary>
    public void Verify(VerifiedCells verified)
    {
        ulong actual = DatChecksum.Compute(new ReadOnlySpan<byte>(Data, (int)Length));
        if (actual != Checksum) throw Bad($"checksum mismatch (stored {Checksum:x16}, computed {actual:x16}): the file is corrupt");

        if (TokenOffsets[0] != 0) throw Bad("token offsets must start at 0");
        uint longest = 0;
        for (int i = 0; i < VocabSize; i++)
        {
            if (TokenOffsets[i + 1] < TokenOffsets[i]) throw Bad($"token offsets decrease at id {i}");
            longest = Math.Max(longest, TokenOffsets[i + 1] - TokenOffsets[i]);
        }
        if (TokenOffsets[VocabSize] != TokenBytesLength) throw Bad("token offsets do not end at the token byte section's end");
        if (MaxTokenBytes < longest) throw Bad("max_token_bytes is smaller than the longest token");

        for (int c = 0; c < 256; c++)
        {
            int id = DatLayout.ByteIdBase + c;
            ReadOnlySpan<byte> token = TokenAt(id);
            if (TrieCell.Check(Cells[1 + c]) != TrieCell.TerminalBit || Values[1 + c] != id || token.Length != 1 || token[0] != c)
                throw Bad($"byte {c} is not token {id} at trie cell {1 + c}");
        }
        uint count = (uint)NodeCount;
        for (uint t = 1; t < count; t++)
        {
            ulong cell = Cells[t];
            int value = Values[t];
            if (TrieCell.IsFree(cell))
            {
                if (TrieCell.Base(cell) != 0 || value != -1) throw Bad($"trie cell {t}: a free cell with a base or a token");
                continue;
            }
            uint parent = TrieCell.Parent(cell);
            // (A tail cell's base is its record, so no cell can have a tail cell as parent: t − base > 255.)
            if (parent >= count || (parent != 0 && TrieCell.IsFree(Cells[parent])) || t - TrieCell.Base(Cells[parent]) > 255)
                throw Bad($"trie cell {t}: parent {parent} does not lead here");
            if (TrieCell.IsTail(cell))
            {
                if (!TryTail(cell, out ReadOnlySpan<byte> rest) || rest.IsEmpty)
                    throw Bad($"trie cell {t}: its tail record lies outside the tails section");
                if ((uint)value >= (uint)VocabSize) throw Bad($"trie cell {t}: tail token id {value} out of range");
                continue;
            }
            if (TrieCell.Base(cell) > count - 256) throw Bad($"trie cell {t}: base {TrieCell.Base(cell)} out of range");
            if (TrieCell.IsTerminal(cell) != value >= 0 || value >= VocabSize) throw Bad($"trie cell {t}: token id {value} out of range");
        }
        Span<byte> path = MaxTokenBytes <= 4096 ? stackalloc byte[MaxTokenBytes] : new byte[MaxTokenBytes];
        for (uint t = 257; t < count; t++)
        {
            bool tail = TrieCell.IsTail(Cells[t]);
            if (!TrieCell.IsTerminal(Cells[t]) && !tail) continue;
            // Walk up to a byte cell, collecting the path backwards; a chain longer than any token is a cycle.
            int n = 0;
            uint at = t;
            while (at > 256)
            {
                if (n == path.Length) throw Bad($"trie cell {t}: its path is longer than max_token_bytes (a cycle?)");
                uint parent = TrieCell.Parent(Cells[at]);
                path[path.Length - 1 - n++] = (byte)(at - TrieCell.Base(Cells[parent]));
                at = parent;
            }
            if (n == path.Length) throw Bad($"trie cell {t}: its path is longer than max_token_bytes");
            path[path.Length - 1 - n++] = (byte)(at - 1);
            ReadOnlySpan<byte> token = TokenAt(Values[t]);
            ReadOnlySpan<byte> rest = default;
            if (tail) TryTail(Cells[t], out rest);
            if (token.Length != n + rest.Length || !token[..n].SequenceEqual(path[(path.Length - n)..]) || !token[n..].SequenceEqual(rest))
                throw Bad($"trie cell {t} ends token {Values[t]}, whose bytes differ from the trie path (the trie and the token table disagree)");
        }
        verified.AddAll();
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
    internal static DatFormatException Bad(string message) => new("invalid .dat: " + message);
}
