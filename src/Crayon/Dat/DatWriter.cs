using System.Buffers.Binary;
using System.Text;
using Crayon.Normalization;
using Crayon.Trie;

namespace Crayon.Dat;

/// <summary>
/// Compiles a vocabulary list into a .dat image (format version 5: the trie in 4-byte label-checked
/// cells, with its tails as strings). Ids: the 4 specials, the 256 byte tokens, then each distinct
/// multi-byte entry in list order (paper §8.1: an id never depends on anything but the list, and
/// appending entries keeps every earlier id). Empty entries, single bytes (already byte tokens) and
/// repeats are skipped. Same list, same name, source and normalisation → same bytes. With
/// <see cref="TextNormalization.Nfc"/> each entry is put in NFC first (as tokenize does to text;
/// invalid UTF-8 passes through), since the text it must match will be NFC: a decomposed entry becomes
/// its composed form, and a repeat if that form is already listed.
/// </summary>
public static class DatWriter
{
    public static byte[] Build(IReadOnlyList<byte[]> tokens, string name, string source,
                               TextNormalization normalization = TextNormalization.None, Lineage? lineage = null) =>
        Build(tokens, name, source, normalization, lineage, withTails: true);

    /// <summary>As <see cref="Build(IReadOnlyList{byte[]}, string, string, TextNormalization, Lineage?)"/>, with
    /// or without tails (every token's path then cells to its end): the tests compare the two.</summary>
    internal static byte[] Build(IReadOnlyList<byte[]> tokens, string name, string source,
                                 TextNormalization normalization, Lineage? lineage, bool withTails)
    {
        Lineage origin = lineage ?? Lineage.Root;
        if (!origin.IsValid) throw new ArgumentException($"invalid lineage {origin}");
        ArgumentNullException.ThrowIfNull(tokens);
        if (normalization is not (TextNormalization.None or TextNormalization.Nfc))
            throw new ArgumentException($"unknown normalization {(int)normalization}");
        name ??= "";
        source ??= "";
        var seen = new HashSet<byte[]>(ByteArrayComparer.Instance);
        var learned = new List<(byte[] Key, int Value)>();
        foreach (byte[] entry in tokens)
        {
            if (entry is null) continue;
            byte[] t = normalization == TextNormalization.Nfc ? Nfc.Normalize(entry) : entry;
            if (t.Length < 2 || !seen.Add(t)) continue;
            learned.Add((t, DatLayout.FirstLearnedId + learned.Count));
        }
        int vocabSize = DatLayout.FirstLearnedId + learned.Count;
        if (vocabSize > DatLayout.MaxVocabSize) throw new ArgumentException($"vocabulary too large ({vocabSize} > {DatLayout.MaxVocabSize})");

        var (nodes, tails) = DoubleArrayBuilder.BuildUnique(learned, c => DatLayout.ByteIdBase + c, withTails);
        int cellCount = nodes.Length;
        long tailBytes = DatLayout.TailSlack;
        foreach (var tail in tails) tailBytes += DatLayout.TailHeaderBytes + tail.Key.Length - tail.Start;
        if (cellCount > DatLayout.MaxNodeCount || tailBytes > TrieCell.MaxBase)
            throw new ArgumentException($"vocabulary too large for the format: {cellCount} trie cells and {tailBytes} tail bytes " +
                                        $"(at most {DatLayout.MaxNodeCount} and {TrieCell.MaxBase})");

        // id -> bytes table.
        var tokenBytes = new byte[vocabSize][];
        for (int i = 0; i < DatLayout.SpecialCount; i++) tokenBytes[i] = Encoding.UTF8.GetBytes(DatLayout.SpecialNames[i]);
        for (int c = 0; c < 256; c++) tokenBytes[DatLayout.ByteIdBase + c] = [(byte)c];
        int maxLen = 1;
        foreach (var (key, id) in learned) tokenBytes[id] = key;
        long blobLen = 0;
        foreach (byte[] b in tokenBytes) { blobLen += b.Length; maxLen = Math.Max(maxLen, b.Length); }
        if (blobLen > uint.MaxValue) throw new ArgumentException("token bytes exceed 4 GiB");

        byte[] nameBytes = Encoding.UTF8.GetBytes(name), sourceBytes = Encoding.UTF8.GetBytes(source);

        long[] sizes =
        [
            4L + 4L * DatLayout.SpecialCount,
            8L + nameBytes.Length + sourceBytes.Length,
            4L * cellCount,
            4L * cellCount,
            4L * (vocabSize + 1),
            blobLen,
            tailBytes,
        ];
        long pos = DatLayout.AlignUp(DatLayout.HeaderSize + sizes.Length * DatLayout.SectionEntrySize);
        long[] offsets = new long[sizes.Length];
        for (int s = 0; s < sizes.Length; s++) { offsets[s] = pos; pos = DatLayout.AlignUp(pos + sizes[s]); }
        if (pos > int.MaxValue) throw new ArgumentException("profile image exceeds 2 GiB");
        var image = new byte[pos];
        Span<byte> img = image;

        DatLayout.Magic.CopyTo(img);
        W32(img, DatLayout.OffVersion, DatLayout.Version);
        W32(img, DatLayout.OffFlags, normalization == TextNormalization.Nfc ? DatLayout.FlagNfc : 0);
        W64(img, DatLayout.OffFileSize, (ulong)pos);
        W32(img, DatLayout.OffVocabSize, (uint)vocabSize);
        W32(img, DatLayout.OffNodeCount, (uint)cellCount);
        W32(img, DatLayout.OffSectionCount, (uint)sizes.Length);
        W32(img, DatLayout.OffSectionTable, DatLayout.HeaderSize);
        W32(img, DatLayout.OffMaxTokenBytes, (uint)maxLen);
        W32(img, DatLayout.OffVocabVersion, origin.Version);
        W64(img, DatLayout.OffParentChecksum, origin.ParentChecksum);
        for (int s = 0; s < sizes.Length; s++)
        {
            int e = DatLayout.HeaderSize + s * DatLayout.SectionEntrySize;
            W32(img, e, (uint)(s + 1));
            W32(img, e + 4, 0);
            W64(img, e + 8, (ulong)offsets[s]);
            W64(img, e + 16, (ulong)sizes[s]);
        }

        Span<byte> cells = img.Slice((int)offsets[2]);
        Span<byte> values = img.Slice((int)offsets[3]);
        for (int i = 0; i < cellCount; i++)
        {
            TrieNode n = nodes[i];
            uint cell = i == 0 ? TrieCell.Pack(1, TrieCell.RootLabel, terminal: false)
                      : n.Check == TrieNode.Free ? 0
                      : TrieCell.Pack((uint)n.Base, (uint)(i - nodes[n.Check].Base), n.Value >= 0);
            W32(cells, i * 4, cell);
            W32(values, i * 4, (uint)n.Value);
        }
        // A tail cell: not a token end, its base the record's offset; its value is the tail's token.
        Span<byte> records = img.Slice((int)offsets[6]);
        int r = 0;
        foreach (var tail in tails)
        {
            int length = tail.Key.Length - tail.Start;
            records[r] = (byte)length;
            tail.Key.AsSpan(tail.Start).CopyTo(records.Slice(r + DatLayout.TailHeaderBytes));
            W32(cells, tail.Node * 4, TrieCell.PackTail((uint)r, (uint)(tail.Node - nodes[nodes[tail.Node].Check].Base)));
            r += DatLayout.TailHeaderBytes + length;
        }
        Span<byte> offs = img.Slice((int)offsets[4]);
        Span<byte> blob = img.Slice((int)offsets[5]);
        uint at = 0;
        for (int id = 0; id < vocabSize; id++)
        {
            W32(offs, id * 4, at);
            tokenBytes[id].CopyTo(blob.Slice((int)at));
            at += (uint)tokenBytes[id].Length;
        }
        W32(offs, vocabSize * 4, at);
        Span<byte> specials = img.Slice((int)offsets[0]);
        W32(specials, 0, DatLayout.SpecialCount);
        for (int i = 0; i < DatLayout.SpecialCount; i++) W32(specials, 4 + 4 * i, (uint)i);
        Span<byte> meta = img.Slice((int)offsets[1]);
        W32(meta, 0, (uint)nameBytes.Length);
        nameBytes.CopyTo(meta.Slice(4));
        W32(meta, 4 + nameBytes.Length, (uint)sourceBytes.Length);
        sourceBytes.CopyTo(meta.Slice(8 + nameBytes.Length));

        W64(img, DatLayout.OffChecksum, DatChecksum.Compute(image));
        return image;
    }

    private static void W32(Span<byte> s, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(s.Slice(at), v);
    private static void W64(Span<byte> s, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(s.Slice(at), v);

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();
        public bool Equals(byte[]? a, byte[]? b) => a.AsSpan().SequenceEqual(b);
        public int GetHashCode(byte[] a)
        {
            var h = new HashCode();
            h.AddBytes(a);
            return h.ToHashCode();
        }
    }
}
