using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using System.Text;
using Crayon.Normalization;

namespace Crayon.Dat;

/// <summary>
/// A view of a .dat image (format 5) in memory the caller keeps alive (a mapping, a private copy or a
/// borrowed buffer). Nothing is copied: <see cref="Open"/> checks the header, the section table, the
/// specials, the metadata, the root and byte cells, and then reads the cells once (4 bytes each, about
/// 1.6 MB for 250k ids) to check that every base is in range and used by one cell only — what makes a
/// label check as sound as a parent check (<see cref="TrieCell"/>). The token table, the values and the
/// tails are not read.
/// Safety then holds without a full scan because of how the file is read (docs/dat-format.md,
/// "Guarantees"): every step stays inside the cells; every id is range-checked where it is used; and
/// a token's bytes are compared with the bytes the walk matched the first time each cell emits it
/// (<see cref="VerifiedCells"/>).
/// <see cref="Verify"/> is the full check: checksum, every cell, every token against its trie path.
/// </summary>
internal readonly unsafe struct DatImage
{
    public readonly uint* Cells;
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
    public readonly byte* Tails;        // the tail records
    public readonly uint TailsLength;

    private DatImage(uint* cells, int* values, int nodeCount, uint* offsets, byte* bytes, uint bytesLength, int vocabSize,
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
    public bool TryTail(uint cell, out ReadOnlySpan<byte> rest)
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
        if (version != DatLayout.Version)
            throw Bad(version is >= 1 and < DatLayout.Version
                ? $"format version {version} was written by an older Crayon; this library reads version {DatLayout.Version}. " +
                  "Rebuild the file from its vocabulary list: crayon build LIST.json -o FILE.dat (the bundled profiles are rebuilt by `make profiles`)"
                : $"format version {version} is not supported (this library reads version {DatLayout.Version})");
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
        if (nodeCount < 257 || nodeCount > DatLayout.MaxNodeCount) throw Bad($"node_count {nodeCount} out of range (257..{DatLayout.MaxNodeCount})");
        if (maxTok == 0 || maxTok > 1u << 20) throw Bad($"max_token_bytes {maxTok} out of range");
        const int sectionCount = DatLayout.SectionCount;
        if (U32(header, DatLayout.OffSectionCount) != sectionCount) throw Bad($"section count is not {sectionCount}");
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
        if (size[2] != 4L * nodeCount) throw Bad("cell section size does not match node_count");
        if (size[3] != 4L * nodeCount) throw Bad("value section size does not match node_count");
        if (size[4] != 4L * (vocab + 1)) throw Bad("token offset section size does not match vocab_size");

        var cells = (uint*)(data + off[2]);
        var values = (int*)(data + off[3]);
        var offsets = (uint*)(data + off[4]);
        byte* blob = data + off[5];
        uint blobLen = (uint)size[5];
        CheckCells(cells, nodeCount);

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
        byte* tails = data + off[6];
        uint tailsLength = (uint)size[6];
        return new DatImage(cells, values, (int)nodeCount, offsets, blob, blobLen, (int)vocab, (int)maxTok,
                            U64(header, DatLayout.OffChecksum), data, length, name, source, normalization, lineage,
                            version, tails, tailsLength);
    }

    /// <summary>
    /// The one pass over the cells that every load makes. The root's base is the first-byte table's
    /// offset and its label is not 0, so a leaf's step (base 0) never matches it; the byte cells, entered
    /// directly, carry their byte as label (cell c has label c − 1, so a base-0 step never matches one
    /// either) and are token ends with children or none, never tails. Then every base (a tail cell's
    /// field is a record, not a base) is at most node_count − 256, so no step leaves the cells, and used
    /// by one cell only, so each cell has one parent and the first-use check of its token covers every
    /// later walk that reaches it. No cell is both a token end and a tail (the walk would step on from
    /// a record offset).
    /// </summary>
    private static void CheckCells(uint* cells, uint count)
    {
        uint root = cells[0];
        if (TrieCell.Base(root) != 1 || TrieCell.Label(root) == 0 || (root & (TrieCell.TerminalBit | TrieCell.TailBit)) != 0)
            throw Bad("trie root must have base 1, a label other than 0, and no token");
        for (uint c = 1; c <= 256; c++)
            if (TrieCell.Label(cells[c]) != c - 1 || !TrieCell.IsTerminal(cells[c]) || TrieCell.IsTail(cells[c]))
                throw Bad($"byte cell {c} must carry label {c - 1} and end its byte's token");
        CheckBases(cells, count);
    }

    /// <summary>The widest vectors the pass may use: tests lower it to run the 128-bit and the scalar
    /// passes on the same files.</summary>
    internal static int BaseCheckBits = 256;

    /// <summary>
    /// The fast pass: one byte per cell marks the bases seen (a bitmap's read-modify-writes chain through
    /// memory where marks share a word, as every leaf's base 0 does). Eight cells at a time where the
    /// CPU has 256-bit vectors, with no branch per cell (which cell has a base follows no pattern a
    /// predictor learns): every lane stores its mark, a leaf's or a tail's at byte 0, and the bases are
    /// unique exactly when the bytes marked, byte 0 aside, number the cells with a base. Stores only: a
    /// load of each mark to find a repeat waited on the lane store and ran 3× slower. A base past
    /// maxBase is clamped before it marks (and fails the check). The scalar pass, for the rest, for
    /// CPUs without the vectors and for a file a vector pass refused, loads the mark instead and throws
    /// at the first offending cell, so the error names it.
    /// </summary>
    private static void CheckBases(uint* cells, uint count)
    {
        uint maxBase = count - 256;
        // Pooled: fresh pages from the allocator would cost a page fault per 4 KiB, more than the pass.
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)count);
        Array.Clear(rented, 0, (int)count);
        fixed (byte* seen = rented)
        try
        {
            bool passed;
            if (BaseCheckBits >= 256 && Vector256.IsHardwareAccelerated) passed = MarkBasesVector(cells, count, maxBase, seen);
            else if (BaseCheckBits >= 128 && Vector128.IsHardwareAccelerated) passed = MarkBasesVector128(cells, count, maxBase, seen);
            else
            {
                MarkBases(cells, 0, count, maxBase, seen);
                return;
            }
            if (passed) return;
            Array.Clear(rented, 0, (int)count);   // a vector pass refused the file: the scalar pass names the cell
            MarkBases(cells, 0, count, maxBase, seen);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void MarkBases(uint* cells, uint from, uint count, uint maxBase, byte* seen)
    {
        for (uint i = from; i < count; i++)
        {
            uint cell = cells[i];
            if (TrieCell.IsTail(cell))
            {
                if (TrieCell.IsTerminal(cell)) throw Bad($"trie cell {i} is both a token end and a tail");
                continue;
            }
            uint b = TrieCell.Base(cell);
            if (b == 0) continue;
            if (b > maxBase) throw Bad($"trie cell {i}: base {b} out of range (at most {maxBase})");
            if (seen[b] != 0) throw Bad($"trie cell {i} shares base {b} with an earlier cell (the file is corrupt or was altered)");
            seen[b] = 1;
        }
    }

    private static bool MarkBasesVector(uint* cells, uint count, uint maxBase, byte* seen)
    {
        var tailBit = Vector256.Create(TrieCell.TailBit);
        var both = Vector256.Create(TrieCell.TailBit | TrieCell.TerminalBit);
        var max = Vector256.Create(maxBase);
        var bad = Vector256<uint>.Zero;
        uint marked = 0;
        uint i = 0;
        for (; i + (uint)Vector256<uint>.Count <= count; i += (uint)Vector256<uint>.Count)
        {
            var c = Vector256.Load(cells + i);
            var b = Vector256.AndNot(Vector256.ShiftRightLogical(c, TrieCell.BaseShift), Vector256.Equals(c & tailBit, tailBit));
            bad |= Vector256.Equals(c & both, both) | Vector256.GreaterThan(b, max);
            marked += (uint)BitOperations.PopCount(Vector256.GreaterThan(b, Vector256<uint>.Zero).ExtractMostSignificantBits());
            // Every lane marks, a leaf's or a tail's at byte 0 (left out of the count): no branch on the mask.
            b = Vector256.Min(b, max);
            Vector128<uint> lo = b.GetLower(), hi = b.GetUpper();
            seen[lo.GetElement(0)] = 1; seen[lo.GetElement(1)] = 1; seen[lo.GetElement(2)] = 1; seen[lo.GetElement(3)] = 1;
            seen[hi.GetElement(0)] = 1; seen[hi.GetElement(1)] = 1; seen[hi.GetElement(2)] = 1; seen[hi.GetElement(3)] = 1;
        }
        // Stores only in the loop (a load of the mark would wait on the lane store and the line): the
        // bases repeat exactly when fewer bytes are marked than cells had a base.
        seen[0] = 0;
        if (bad != Vector256<uint>.Zero || new ReadOnlySpan<byte>(seen, (int)count).Count((byte)1) != marked) return false;
        MarkBases(cells, i, count, maxBase, seen);
        return true;
    }

    /// <summary>
    /// As <see cref="MarkBasesVector"/>, four cells at a time (the baseline x86-64 build: SSE2; Arm: Neon).
    /// A second copy because Vector128 and Vector256 share no public interface (the runtime's
    /// ISimdVector is internal), and this one clamps with a select, since an unsigned Min needs SSE4.1.
    /// </summary>
    private static bool MarkBasesVector128(uint* cells, uint count, uint maxBase, byte* seen)
    {
        var tailBit = Vector128.Create(TrieCell.TailBit);
        var both = Vector128.Create(TrieCell.TailBit | TrieCell.TerminalBit);
        var max = Vector128.Create(maxBase);
        var bad = Vector128<uint>.Zero;
        uint marked = 0;
        uint i = 0;
        for (; i + (uint)Vector128<uint>.Count <= count; i += (uint)Vector128<uint>.Count)
        {
            var c = Vector128.Load(cells + i);
            var b = Vector128.AndNot(Vector128.ShiftRightLogical(c, TrieCell.BaseShift), Vector128.Equals(c & tailBit, tailBit));
            var over = Vector128.GreaterThan(b, max);
            bad |= Vector128.Equals(c & both, both) | over;
            marked += (uint)BitOperations.PopCount(Vector128.GreaterThan(b, Vector128<uint>.Zero).ExtractMostSignificantBits());
            b = Vector128.ConditionalSelect(over, max, b);   // Min of unsigned lanes needs SSE4.1; this is SSE2
            seen[b.GetElement(0)] = 1; seen[b.GetElement(1)] = 1; seen[b.GetElement(2)] = 1; seen[b.GetElement(3)] = 1;
        }
        seen[0] = 0;
        if (bad != Vector128<uint>.Zero || new ReadOnlySpan<byte>(seen, (int)count).Count((byte)1) != marked) return false;
        MarkBases(cells, i, count, maxBase, seen);
        return true;
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
            if (Values[1 + c] != id || token.Length != 1 || token[0] != c)
                throw Bad($"byte {c} is not token {id} at trie cell {1 + c}");
        }
        int[] parents = Parents();
        uint count = (uint)NodeCount;
        for (uint t = 257; t < count; t++)
        {
            uint cell = Cells[t];
            int value = Values[t];
            if (parents[t] < 0)
            {
                if (cell != 0 || value != -1) throw Bad($"trie cell {t}: no cell leads here, but it is not free (0, no token)");
                continue;
            }
            if (TrieCell.IsTail(cell))
            {
                if (!TryTail(cell, out ReadOnlySpan<byte> rest) || rest.IsEmpty)
                    throw Bad($"trie cell {t}: its tail record lies outside the tails section");
                if ((uint)value >= (uint)VocabSize) throw Bad($"trie cell {t}: tail token id {value} out of range");
                continue;
            }
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
                if (parents[at] < 0) throw Bad($"trie cell {t}: no path from the root leads here");
                path[path.Length - 1 - n++] = (byte)TrieCell.Label(Cells[at]);
                at = (uint)parents[at];
            }
            if (at == 0) throw Bad($"trie cell {t}: its path does not start at a byte cell");
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

    /// <summary>
    /// The parent of every cell, −1 where no step leads (free cells, and cells a step on their label
    /// would reach from a base no cell has). The byte cells' parent is the root; the root has none.
    /// Sound because <see cref="Open"/> checked that no two cells share a base.
    /// </summary>
    public int[] Parents()
    {
        int count = NodeCount;
        var owner = new int[count];
        Array.Fill(owner, -1);
        for (int i = 0; i < count; i++)
            if (TrieCell.HasBase(Cells[i])) owner[TrieCell.Base(Cells[i])] = i;
        var parents = new int[count];
        parents[0] = -1;
        for (int t = 1; t <= 256; t++) parents[t] = 0;
        for (int t = 257; t < count; t++)
        {
            long b = t - (long)TrieCell.Label(Cells[t]);
            parents[t] = owner[b];
        }
        return parents;
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
