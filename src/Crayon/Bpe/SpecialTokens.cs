using System.Buffers;
using System.Text;

namespace Crayon.Bpe;

/// <summary>
/// The special tokens of an encoding (text → id), and the search for their occurrences in UTF-8
/// text. Small by nature (a handful to a few hundred), so the search is a vectorised scan for the
/// bytes that start any special token, then a comparison with each candidate.
/// </summary>
internal sealed class SpecialTokens
{
    private readonly byte[][] _bytes;
    private readonly string[] _names;
    private readonly int[] _ids;
    private readonly SearchValues<byte> _firstBytes;

    public int Count => _ids.Length;
    public ReadOnlySpan<int> Ids => _ids;
    public string Name(int index) => _names[index];
    public ReadOnlySpan<byte> Bytes(int index) => _bytes[index];

    public SpecialTokens(IReadOnlyList<string> names, IReadOnlyList<int> ids)
    {
        if (names.Count != ids.Count) throw new ArgumentException("special token names and ids differ in number");
        _names = new string[names.Count];
        _bytes = new byte[names.Count][];
        _ids = new int[names.Count];
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new HashSet<int>();
        var first = new HashSet<byte>();
        for (int i = 0; i < names.Count; i++)
        {
            string name = names[i] ?? throw new ArgumentException($"special token {i} has a NULL name");
            if (name.Length == 0) throw new InvalidDataException($"special token {i} is empty");
            if (ids[i] < 0) throw new InvalidDataException($"special token \"{name}\" has a negative id {ids[i]}");
            if (!seenNames.Add(name)) throw new InvalidDataException($"special token \"{name}\" is given twice");
            if (!seenIds.Add(ids[i])) throw new InvalidDataException($"special token id {ids[i]} is given twice");
            _names[i] = name;
            _bytes[i] = Encoding.UTF8.GetBytes(name);
            _ids[i] = ids[i];
            first.Add(_bytes[i][0]);
        }
        _firstBytes = SearchValues.Create(first.ToArray());
    }

    /// <summary>Index of the special token whose text is exactly <paramref name="text"/>, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> text)
    {
        for (int k = 0; k < _bytes.Length; k++)
            if (text.SequenceEqual(_bytes[k])) return k;
        return -1;
    }

    public int IndexOfName(string name) => Array.IndexOf(_names, name);

    public int IndexOfId(int id) => Array.IndexOf(_ids, id);

    /// <summary>
    /// The first occurrence at or after <paramref name="from"/> of a special token selected by
    /// <paramref name="selected"/> (indexes into this set): its position and index, the longest at
    /// that position. Returns false when there is none.
    /// </summary>
    public bool FindNext(ReadOnlySpan<byte> text, int from, ReadOnlySpan<bool> selected, out int position, out int index)
    {
        int pos = from;
        while (pos < text.Length)
        {
            int hit = text[pos..].IndexOfAny(_firstBytes);
            if (hit < 0) break;
            pos += hit;
            int best = -1;
            for (int k = 0; k < _bytes.Length; k++)
            {
                if (!selected[k]) continue;
                if (text[pos..].StartsWith(_bytes[k]) && (best < 0 || _bytes[k].Length > _bytes[best].Length)) best = k;
            }
            if (best >= 0) { position = pos; index = best; return true; }
            pos++;
        }
        position = -1;
        index = -1;
        return false;
    }
}
