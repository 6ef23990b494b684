namespace Crayon.Dat;

/// <summary>
/// Constants of the .dat format, version 5 (docs/dat-format.md is the prose contract): seven sections,
/// the trie in 4-byte cells checked by label (<see cref="TrieCell"/>) and its tails (a trie node with
/// one token below it keeps the rest of that token as a string). Older versions (1 and 2: 12-byte
/// cells; 3 and 4: 8-byte cells checked by parent) are refused with a message that says how to rebuild
/// them from their vocabulary list.
/// All integers are little-endian; every section starts on an 8-byte boundary; the file length is a
/// multiple of 8 so the checksum can run over whole 64-bit words.
/// </summary>
internal static class DatLayout
{
    /// <summary>"CRAYDAT" followed by 0x1A (stops `type`/`cat` on binary) — 8 bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "CRAYDAT\x1A"u8;

    public const uint Version = 5;
    public const int HeaderSize = 64;
    public const int SectionEntrySize = 24;
    public const int Alignment = 8;

    // Header field offsets.
    public const int OffMagic = 0;
    public const int OffVersion = 8;
    public const int OffFlags = 12;
    public const int OffFileSize = 16;
    public const int OffChecksum = 24;
    public const int OffVocabSize = 32;
    public const int OffNodeCount = 36;
    public const int OffSectionCount = 40;
    public const int OffSectionTable = 44;
    public const int OffMaxTokenBytes = 48;
    public const int OffVocabVersion = 52;     // u32, 1 for a list built from scratch
    public const int OffParentChecksum = 56;   // u64, the parent's checksum, 0 if none

    /// <summary>Section kinds; each appears exactly once, in this order. The small ones come first, so
    /// that what loading reads besides the cells (header, specials, metadata) lies in the first page.</summary>
    public const uint SectionSpecials = 1;    // u32 count, u32 ids[count]
    public const uint SectionMetadata = 2;    // u32 len + UTF-8 name, u32 len + UTF-8 source
    public const uint SectionCells = 3;       // u32[node_count]: TrieCell (base, tail and terminal bits, label)
    public const uint SectionValues = 4;      // i32[node_count]: the token id ending at each cell, −1 if none
    public const uint SectionTokenOffsets = 5; // u32[vocab_size + 1], start of each token's bytes
    public const uint SectionTokenBytes = 6;  // the concatenated token bytes
    public const uint SectionTails = 7;       // tail records (u8 length, bytes), then TailSlack zero bytes

    public const int SectionCount = 7;

    /// <summary>The most trie cells a file may have: every base and tail offset fits a cell's 22 bits.</summary>
    public const int MaxNodeCount = (int)TrieCell.MaxBase + 1;

    /// <summary>A tail record: its length, then its bytes (the token's id is the cell's value, as for any token).</summary>
    public const int TailHeaderBytes = 1;

    /// <summary>
    /// Zero bytes after the last tail record, so that the walk compares a tail eight bytes at a time
    /// without reading past the section; a record whose bytes plus this slack do not fit the section
    /// never matches (and full verification rejects it).
    /// </summary>
    public const int TailSlack = 8;

    /// <summary>Header flag bits. Bit 0: the profile expects NFC text (TextNormalization.Nfc); other bits are rejected.</summary>
    public const uint FlagNfc = 1u << 0;
    public const uint KnownFlags = FlagNfc;

    /// <summary>Fixed ids (crayon.h): specials, then one token per byte value, then learned tokens.</summary>
    public const int PadId = 0, UnkId = 1, BosId = 2, EosId = 3;
    public const int ByteIdBase = 4;
    public const int FirstLearnedId = 260;
    public const int SpecialCount = 4;

    public static readonly string[] SpecialNames = ["<PAD>", "<UNK>", "<BOS>", "<EOS>"];

    /// <summary>Largest vocabulary the format admits (ids stay far from the int32 sign bit).</summary>
    public const int MaxVocabSize = 1 << 26;

    public static long AlignUp(long n) => (n + (Alignment - 1)) & ~(long)(Alignment - 1);
}
