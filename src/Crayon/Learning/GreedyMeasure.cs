using System.Runtime.InteropServices;
using Crayon.Dat;
using Crayon.Profiles;
using Crayon.Tokenization;
using Crayon.Training;

namespace Crayon.Learning;

/// <summary>
/// One candidate vocabulary compiled into a trie, and what greedy longest match does with it on the
/// counted phrases: how often each token is used, what dropping a token would cost, and which
/// adjacent tokens occur together most. Ids are 260 + list index: the list is a .dat's list (distinct
/// entries of two bytes or more), compiled by <see cref="DatWriter"/> and walked like any profile.
/// </summary>
internal sealed unsafe class GreedyMeasure : IDisposable
{
    private readonly List<byte[]> _vocab;
    private readonly Profile _profile;

    public GreedyMeasure(List<byte[]> vocab)
    {
        _vocab = vocab;
        _profile = Profile.FromBytes(DatWriter.Build(vocab, "", ""));
        if (_profile.VocabSize != DatLayout.FirstLearnedId + vocab.Count)
        {
            _profile.Release();
            throw new ArgumentException("a candidate list holds repeats or entries shorter than two bytes");
        }
    }

    public void Dispose() => _profile.Release();

    private ref readonly TrieWalk Walk => ref _profile.Walk;

    /// <summary>Each token's uses in the greedy segmentation of every phrase, weighted by the phrase's
    /// count. Phrases are shared out over the cores, each with its own counters.</summary>
    public long[] Uses(ChunkTable phrases)
    {
        int count = phrases.Count;
        int workers = Math.Max(1, Math.Min(Environment.ProcessorCount, count / 4096 + 1));
        var partial = new long[workers][];
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
        {
            var uses = new long[_vocab.Count];
            int* o = stackalloc int[IdsPerPhrase];
            for (int e = w; e < count; e += workers)
                {
                    int k = Segment(Walk, phrases, e, o);
                    long weight = phrases.CountOf(e);
                    for (int t = 0; t < k; t++)
                        if (o[t] >= DatLayout.FirstLearnedId) uses[o[t] - DatLayout.FirstLearnedId] += weight;
                }
            partial[w] = uses;
        });
        long[] sum = partial[0];
        for (int w = 1; w < workers; w++)
            for (int i = 0; i < sum.Length; i++) sum[i] += partial[w][i];
        return sum;
    }

    /// <summary>
    /// What dropping each token would cost, estimated as uses × (tokens its own bytes take without it
    /// − 1): a token whose bytes fall into two others is cheaper to lose than one that falls into
    /// five. (Context is ignored: the text around a use may re-segment too.)
    /// </summary>
    public long[] RemovalCost(long[] uses)
    {
        var cost = new long[_vocab.Count];
        int first;
        for (int i = 0; i < _vocab.Count; i++)
            {
                byte[] t = _vocab[i];
                fixed (byte* b = t)
                {
                    // The longest match on all but the last byte is the longest proper prefix token.
                    LongestMatch.Run(Walk, b, t.Length - 1, &first, 1);
                    int len = Length(first);
                    long without = 1 + LongestMatch.Run(Walk, b + len, t.Length - len, null, 0);
                    cost[i] = uses[i] * (without - 1);
                }
            }
        return cost;
    }

    /// <summary>
    /// Up to count new tokens: the concatenations of the adjacent token pairs that occur most in the
    /// greedy segmentation of the phrases (ties: smaller ids first), at most maxBytes long and not yet
    /// in the vocabulary — the merges greedy matching itself asks for.
    /// </summary>
    public List<byte[]> FrequentPairs(ChunkTable phrases, int count, int maxBytes)
    {
        var pairs = new Dictionary<long, long>();
        int* o = stackalloc int[IdsPerPhrase];
        for (int e = 0; e < phrases.Count; e++)
            {
                int k = Segment(Walk, phrases, e, o);
                long weight = phrases.CountOf(e);
                for (int t = 0; t + 1 < k; t++)
                {
                    if (Length(o[t]) + Length(o[t + 1]) > maxBytes) continue;
                    ref long c = ref CollectionsMarshal.GetValueRefOrAddDefault(pairs, MergeLoop.Key(o[t], o[t + 1]), out _);
                    c += weight;
                }
            }
        var ranked = new List<(long Pair, long Count)>(pairs.Count);
        foreach (var kv in pairs) ranked.Add((kv.Key, kv.Value));
        ranked.Sort(static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Pair.CompareTo(b.Pair));
        var result = new List<byte[]>(count);
        var added = new ChunkTable(count);   // two pairs can spell the same token ("ab"+"c", "a"+"bc")
        foreach (var (pair, _) in ranked)
            {
                if (result.Count >= count) break;
                byte[] token = [.. Bytes(MergeLoop.Left(pair)), .. Bytes(MergeLoop.Right(pair))];
                if (Contains(Walk, token) || added.Find(token) >= 0) continue;
                added.Add(token);
                result.Add(token);
            }
        return result;
    }

    /// <summary>Room for the ids of one phrase (a phrase is at most VocabularyLearner.PhraseBytes bytes).</summary>
    private const int IdsPerPhrase = VocabularyLearner.PhraseBytes;

    /// <summary>Greedy longest match of one counted phrase into ids; returns the token count.</summary>
    private static int Segment(in TrieWalk walk, ChunkTable phrases, int entry, int* ids)
    {
        ReadOnlySpan<byte> phrase = phrases.Chunk(entry);
        fixed (byte* b = phrase) return (int)LongestMatch.Run(walk, b, phrase.Length, ids, IdsPerPhrase);
    }

    private int Length(int id) => id >= DatLayout.FirstLearnedId ? _vocab[id - DatLayout.FirstLearnedId].Length : 1;

    private byte[] Bytes(int id) => id >= DatLayout.FirstLearnedId ? _vocab[id - DatLayout.FirstLearnedId] : [(byte)(id - DatLayout.ByteIdBase)];

    /// <summary>Whether token is a key of the trie (the whole string matches as one token).</summary>
    private static bool Contains(in TrieWalk walk, byte[] token)
    {
        int id;
        fixed (byte* b = token)
            return LongestMatch.Run(walk, b, token.Length, &id, 1) == 1;
    }
}
