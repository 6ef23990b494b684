using System.Buffers.Binary;

namespace Crayon.Streaming;

/// <summary>
/// The index written next to an id file (docs/streaming.md): where each document starts.
/// Little-endian throughout:
/// <code>
/// 0   8 bytes  magic "CRAYIDX1"
/// 8   u32      bytes per id in the id file (2 or 4)
/// 12  u32      0 (reserved)
/// 16  u64      N, the number of documents
/// 24  u64      T, the number of ids in the id file
/// 32  u64[N+1] offsets: document i is ids offsets[i] .. offsets[i+1] - 1 (its BOS first, if any); offsets[N] = T
/// </code>
/// </summary>
public static class ShardIndex
{
    public static ReadOnlySpan<byte> Magic => "CRAYIDX1"u8;
    public const int HeaderBytes = 32;

    internal static void WriteHeader(Stream s, int idBytes, long documents, long tokens)
    {
        Span<byte> h = stackalloc byte[HeaderBytes];
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)idBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(h[16..], (ulong)documents);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], (ulong)tokens);
        s.Write(h);
    }

    internal static void WriteOffset(Stream s, long offset)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)offset);
        s.Write(b);
    }

    /// <summary>Reads an index file: the bytes per id and the N + 1 offsets (tests, tools).</summary>
    public static (int IdBytes, long[] Offsets) Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < HeaderBytes || !data.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a crayon index (no CRAYIDX1 header)");
        int idBytes = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(8));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(16));
        if (n < 0 || n > (data.Length - HeaderBytes) / 8 - 1 || data.Length != HeaderBytes + 8 * (n + 1))
            throw new InvalidDataException($"{path}: {n} documents do not match its size ({data.Length} bytes)");
        var offsets = new long[n + 1];
        for (long i = 0; i <= n; i++) offsets[i] = (long)BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(HeaderBytes + (int)(8 * i)));
        return (idBytes, offsets);
    }
}
