using System.Text;

namespace Crayon.Fuzz;

/// <summary>
/// The oracle's own reading of a .tiktoken file and its own BPE: deliberately the slow, obvious
/// algorithm (tiktoken's: a piece that is one token is that token, otherwise merge the adjacent
/// pair whose concatenation has the lowest rank, leftmost first, until no pair is a token). Tokens
/// are keyed as Latin-1 strings (one char per byte) so a dictionary can hold them.
/// </summary>
internal sealed class ReferenceRanks
{
    private readonly Dictionary<string, int> _rank = new(StringComparer.Ordinal);
    private readonly Dictionary<int, byte[]> _bytes = [];

    public IReadOnlyDictionary<int, byte[]> ByRank => _bytes;

    /// <summary>Lines of the strict form "base64 rank" (canonical base64, rank without sign or leading
    /// zeros), blank lines skipped; null when any line is something else or a token/rank repeats.</summary>
    public static ReferenceRanks? Parse(ReadOnlySpan<byte> data)
    {
        var r = new ReferenceRanks();
        string text = Encoding.Latin1.GetString(data);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.EndsWith('\r') ? raw[..^1] : raw;
            if (line.Length == 0) continue;
            string[] f = line.Split(' ');
            if (f.Length != 2 || !IsCanonicalBase64(f[0]) || !IsCanonicalNumber(f[1])) return null;
            byte[] token = Convert.FromBase64String(f[0]);
            if (token.Length == 0 || !int.TryParse(f[1], out int rank)) return null;
            if (!r._rank.TryAdd(Encoding.Latin1.GetString(token), rank) || !r._bytes.TryAdd(rank, token)) return null;
        }
        return r._rank.Count == 0 ? null : r;
    }

    private static bool IsCanonicalBase64(string s)
    {
        if (s.Length == 0 || s.Length % 4 != 0) return false;
        int pad = s.EndsWith("==") ? 2 : s.EndsWith('=') ? 1 : 0;
        for (int i = 0; i < s.Length - pad; i++)
        {
            char c = s[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '+' || c == '/')) return false;
        }
        return true;
    }

    private static bool IsCanonicalNumber(string s) =>
        s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit) && (s == "0" || s[0] != '0');

    public int Rank(string latin1Token) => _rank.TryGetValue(latin1Token, out int r) ? r : -1;

    /// <summary>Ids of one piece, or null when a part left over is a byte without a rank.</summary>
    public List<int>? EncodePiece(ReadOnlySpan<byte> piece)
    {
        string whole = Encoding.Latin1.GetString(piece);
        if (_rank.TryGetValue(whole, out int one)) return [one];
        var parts = new List<string>(whole.Length);
        foreach (char c in whole) parts.Add(c.ToString());
        while (parts.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < parts.Count; i++)
            {
                if (_rank.TryGetValue(parts[i] + parts[i + 1], out int r) && r < bestRank) { bestRank = r; best = i; }
            }
            if (best < 0) break;
            parts[best] += parts[best + 1];
            parts.RemoveAt(best + 1);
        }
        var ids = new List<int>(parts.Count);
        foreach (string p in parts)
        {
            if (!_rank.TryGetValue(p, out int r)) return null;
            ids.Add(r);
        }
        return ids;
    }
}
