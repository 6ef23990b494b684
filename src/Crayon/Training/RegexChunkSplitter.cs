using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace Crayon.Training;

/// <summary>
/// The general splitter: any pattern, run by .NET's <see cref="Regex"/> on the UTF-16 form of the
/// text. .NET has no possessive quantifiers, so <c>X?+ X*+ X++</c> are rewritten to the equivalent
/// atomic groups <c>(?&gt;X?)</c>. Known limit: .NET classes code points outside the BMP as two
/// surrogates, so <c>\p{L}</c> misses e.g. U+1D400; the exact code-point splitters of
/// Crayon.PreTokenize are preferred for the patterns they implement (see <see cref="ChunkSplitters"/>).
/// </summary>
internal sealed class RegexChunkSplitter : IChunkSplitter
{
    private readonly Regex _regex;

    public RegexChunkSplitter(string pattern)
    {
        Pattern = pattern ?? throw new ArgumentNullException(nameof(pattern));
        string dotnet = PossessiveToAtomic(pattern);
        try
        {
            _regex = new Regex(dotnet, RegexOptions.CultureInvariant | RegexOptions.Compiled);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"invalid split pattern {pattern}: {e.Message}", e);
        }
        if (_regex.IsMatch(""))
            throw new ArgumentException($"invalid split pattern {pattern}: it matches the empty string, so it cannot split text");
    }

    public string Pattern { get; }

    private static readonly UTF8Encoding s_strict = new(false, true);

    public void Split(ReadOnlySpan<byte> utf8, IChunkSink sink)
    {
        string text;
        try { text = s_strict.GetString(utf8); }
        catch (DecoderFallbackException) { throw new InvalidUtf8Exception("the text is not valid UTF-8"); }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            foreach (ValueMatch m in _regex.EnumerateMatches(text))
            {
                if (m.Length == 0) continue;
                ReadOnlySpan<char> piece = text.AsSpan(m.Index, m.Length);
                int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
                if (max > scratch.Length)
                {
                    ArrayPool<byte>.Shared.Return(scratch);
                    scratch = ArrayPool<byte>.Shared.Rent(max);
                }
                int n = Encoding.UTF8.GetBytes(piece, scratch);
                sink.OnChunk(scratch.AsSpan(0, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Rewrites possessive quantifiers (<c>?+ *+ ++ {m,n}+</c>) to atomic groups.</summary>
    internal static string PossessiveToAtomic(string p)
    {
        var sb = new StringBuilder(p.Length + 16);
        var groupStarts = new Stack<int>();
        int lastAtom = -1;
        for (int i = 0; i < p.Length; i++)
        {
            char c = p[i];
            int start = sb.Length;
            if (c == '\\')
            {
                int end = i + 2;
                if (i + 1 < p.Length && (p[i + 1] == 'p' || p[i + 1] == 'P') && i + 2 < p.Length && p[i + 2] == '{')
                    end = p.IndexOf('}', i) + 1;
                if (end <= 0 || end > p.Length) end = p.Length;
                sb.Append(p, i, end - i);
                i = end - 1;
                lastAtom = start;
            }
            else if (c == '[')
            {
                int j = i + 1;
                if (j < p.Length && p[j] == '^') j++;
                if (j < p.Length && p[j] == ']') j++;
                while (j < p.Length && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
                int end = Math.Min(j + 1, p.Length);
                sb.Append(p, i, end - i);
                i = end - 1;
                lastAtom = start;
            }
            else if (c == '(')
            {
                groupStarts.Push(start);
                sb.Append(c);
                lastAtom = -1;
            }
            else if (c == ')')
            {
                sb.Append(c);
                lastAtom = groupStarts.Count > 0 ? groupStarts.Pop() : -1;
            }
            else if (c is '?' or '*' or '+' or '{')
            {
                int end = i + 1;
                if (c == '{')
                {
                    int close = p.IndexOf('}', i);
                    end = close < 0 ? i + 1 : close + 1;
                }
                bool possessive = end < p.Length && p[end] == '+' && lastAtom >= 0
                                  && !(c == '?' && start > 0 && sb[start - 1] == '(');
                if (possessive)
                {
                    sb.Insert(lastAtom, "(?>");
                    sb.Append(p, i, end - i).Append(')');
                    i = end;            // skip the possessive '+'
                }
                else
                {
                    sb.Append(p, i, end - i);
                    i = end - 1;
                }
                lastAtom = -1;
            }
            else
            {
                sb.Append(c);
                lastAtom = start;
            }
        }
        return sb.ToString();
    }
}
