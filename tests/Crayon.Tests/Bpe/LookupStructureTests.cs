using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Text;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Tests.Bpe;

/// <summary>
/// The structures the encoder's hot path leans on: the rank table's compact slots, the per-thread
/// piece cache, and the 16-byte ASCII letter scan of the splitters. Each is checked against a plain
/// definition, with the edge cases its layout makes possible (zero bytes inside short keys, keys of
/// 255 bytes and more, pieces that differ only past their 16th byte, full cache sets).
/// </summary>
public class LookupStructureTests
{
    private static RankTable Table(IReadOnlyList<byte[]> tokens)
    {
        byte[] arena = tokens.SelectMany(t => t).ToArray();
        int[] offsets = new int[tokens.Count];
        for (int i = 1; i < tokens.Count; i++) offsets[i] = offsets[i - 1] + tokens[i - 1].Length;
        return new RankTable(arena, offsets, tokens.Select(t => t.Length).ToArray(), Enumerable.Range(0, tokens.Count).ToArray());
    }

    [Fact]
    public void RankTableTellsKeysApartByLengthTailAndZeroBytes()
    {
        var rng = new Random(5);
        byte[] Random(int n) { var b = new byte[n]; rng.NextBytes(b); return b; }
        byte[] long300 = Random(300);
        byte[] long20 = Random(20);
        List<byte[]> tokens =
        [
            "a"u8.ToArray(), [(byte)'a', 0], [(byte)'a', 0, 0], [0], [0, 0, 0, 0, 0, 0, 0, 0],
            long20, long300, "abcdefgh"u8.ToArray(), "abcdefghi"u8.ToArray(),
        ];
        for (int i = 0; i < 2000; i++) tokens.Add(Random(1 + rng.Next(40)));
        tokens = tokens.DistinctBy(Convert.ToHexString).ToList();
        var table = Table(tokens);
        for (int i = 0; i < tokens.Count; i++) Assert.Equal(i, table.Get(tokens[i]));

        var known = tokens.Select(Convert.ToHexString).ToHashSet();
        List<byte[]> nearMisses =
        [
            [(byte)'a', 0, 0, 0], [0, 0], "abcdefghij"u8.ToArray(), long20[..19], [.. long20, 0],
            long300[..299], [.. long300, 7], [.. long300[..299], (byte)(long300[299] ^ 1)],
            [.. long20[..19], (byte)(long20[19] ^ 0x80)],
        ];
        foreach (byte[] k in nearMisses)
            if (!known.Contains(Convert.ToHexString(k))) Assert.Equal(-1, table.Get(k));

        // Strings that are not keys: most stop at the table's filter, and its false positives (about
        // one in eight, so thousands here) at the slots.
        for (int i = 0; i < 50_000; i++)
        {
            byte[] k = Random(1 + rng.Next(12));
            if (!known.Contains(Convert.ToHexString(k))) Assert.Equal(-1, table.Get(k));
        }
    }

    [Fact]
    public void PieceCacheReturnsExactlyWhatWasStored()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        PieceCache cache = PieceCache.For(table);
        byte[] piece = Encoding.UTF8.GetBytes(" пример"); // 13 bytes
        byte[] longer = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdeX"); // 32 bytes
        cache.Store(new PieceCache.Key(piece), [5, 6, 7]);
        cache.Store(new PieceCache.Key(longer), [1, 2, 3, 4, 5, 6, 7]);

        Assert.Equal([5, 6, 7], Probe(cache, piece)!);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], Probe(cache, longer)!);
        Assert.Null(Probe(cache, [.. piece, 0]));                      // same bytes and a zero: another length
        Assert.Null(Probe(cache, piece[..^1]));
        byte[] tailDiffers = (byte[])longer.Clone();
        tailDiffers[31] = (byte)'Y';                                   // differs only in the second 16 bytes
        Assert.Null(Probe(cache, tailDiffers));

        int[] eleven = [.. Enumerable.Range(100, 11)];                 // a long result: the second tier
        cache.Store(new PieceCache.Key("日本語の文章"u8), eleven);
        Assert.Equal(eleven, Probe(cache, "日本語の文章"u8.ToArray())!);
        Assert.Equal([5, 6, 7], Probe(cache, piece)!);                 // the first tier is untouched

        int[] tooMany = [.. Enumerable.Range(1, PieceCache.MaxTokens + 1)];
        cache.Store(new PieceCache.Key("too many"u8), tooMany);        // more than MaxTokens: not kept
        Assert.Null(Probe(cache, "too many"u8.ToArray()));

        // Another table: nothing stored for the first one may answer (ids belong to their table).
        var other = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)(255 - b) })]);
        Assert.Same(cache, PieceCache.For(other));
        Assert.Null(Probe(cache, piece));
        Assert.Null(Probe(cache, "日本語の文章"u8.ToArray()));
    }

    [Fact]
    public void PieceCacheKeyIsThePieceZeroPaddedAtEveryLength()
    {
        var rng = new Random(11);
        for (int n = 1; n <= PieceCache.MaxBytes; n++)
        {
            var text = new byte[n + 8];
            rng.NextBytes(text);
            ReadOnlySpan<byte> piece = text.AsSpan(4, n);               // bytes on both sides that must not leak in
            var key = new PieceCache.Key(piece);
            var padded = new byte[PieceCache.MaxBytes];
            piece.CopyTo(padded);
            byte[] got = new byte[PieceCache.MaxBytes];
            key.Lo.CopyTo(got);
            key.Hi.CopyTo(got.AsSpan(16));
            Assert.Equal(padded, got);
            Assert.Equal((uint)n, key.Meta);
        }
    }

    [Fact]
    public void RankCacheKeepsTheSplitOfAPieceThatIsNotOneToken()
    {
        List<byte[]> tokens = [.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b }), "the"u8.ToArray(), "re"u8.ToArray()];
        var table = Table(tokens);
        RankCache cache = RankCache.For(table);
        Assert.Equal(256, cache.GetPiece(table, "the"u8, out int second));
        Assert.Equal(-1, second);
        Assert.Equal(-1, cache.GetPiece(table, "there"u8, out second));   // not one token, split not known yet
        Assert.Equal(-1, second);

        cache.StoreSplit(table, "there"u8, 256, 257);
        Assert.Equal(256, cache.GetPiece(table, "there"u8, out second));
        Assert.Equal(257, second);
        Assert.Equal(-1, cache.Get(table, "there"u8));                   // still not one token for the merge paths
        Assert.Equal(-1, cache.GetPiece(table, "there\0"u8, out second)); // same head, another length
        Assert.Equal(-1, second);

        // The widest ranks the entry holds, and one past them (not kept: the piece cache answers those).
        cache.StoreSplit(table, "abcdefgh"u8, RankCache.RankLimit - 1, int.MaxValue);
        Assert.Equal(RankCache.RankLimit - 1, cache.GetPiece(table, "abcdefgh"u8, out second));
        Assert.Equal(int.MaxValue, second);
        cache.StoreSplit(table, "abcdefg"u8, RankCache.RankLimit, 3);
        Assert.Equal(-1, cache.GetPiece(table, "abcdefg"u8, out second));
        Assert.Equal(-1, second);

        // Another table: what was kept for the first one may not answer.
        var other = Table(tokens);
        Assert.Same(cache, RankCache.For(other));
        Assert.Equal(-1, cache.GetPiece(other, "there"u8, out second));
        Assert.Equal(-1, second);
    }

    [Fact]
    public void PieceCacheSetKeepsItsNewestPiecesAndNeverMixesThemUp()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        PieceCache cache = PieceCache.For(table);
        // Eight pieces that fall into one set: more than its ways.
        List<byte[]> same = PiecesInSetOf("seed"u8, "w", 8);
        for (int i = 0; i < same.Count; i++) cache.Store(new PieceCache.Key(same[i]), [i, 1000 + i]);
        int kept = 0;
        for (int i = 0; i < same.Count; i++)
        {
            int[]? ids = Probe(cache, same[i]);
            if (ids == null) continue;
            Assert.Equal([i, 1000 + i], ids);
            kept++;
        }
        Assert.InRange(kept, 1, same.Count - 1);                       // a set holds fewer than eight
        Assert.Equal([7, 1007], Probe(cache, same[^1])!);              // the newest is always there
    }

    /// <summary>Six pieces of one set asked in turn, each stored when it misses (as the encoder does):
    /// a full set takes new pieces in its last way, so three stay and hit every round. Inserting
    /// every new piece first made such a set miss every time.</summary>
    [Fact]
    public void PieceCacheSetWithMoreRecurringPiecesThanWaysKeepsMostOfThem()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        PieceCache cache = PieceCache.For(table);
        List<byte[]> same = PiecesInSetOf("cycle"u8, "recurring piece ", 6);
        int hits = 0;
        for (int round = 0; round < 10; round++)
            for (int i = 0; i < same.Count; i++)
            {
                int[]? ids = Probe(cache, same[i]);
                if (ids == null) cache.Store(new PieceCache.Key(same[i]), [i, 100 + i]);
                else
                {
                    Assert.Equal([i, 100 + i], ids);
                    if (round >= 2) hits++;
                }
            }
        // Rounds 2..9: three ways stay put; one store in eight goes first and may cost one hit.
        Assert.InRange(hits, 2 * 8, 3 * 8);
    }

    [Fact]
    public void PieceCacheIsConsultedForASampleOnlyWhileItMostlyMisses()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        PieceCache cache = PieceCache.For(table);
        var keys = Enumerable.Range(0, 4096).Select(i => new PieceCache.Key(Encoding.ASCII.GetBytes($"never stored {i}"))).ToArray();
        foreach (var k in keys[..600]) Assert.Null(Probe(cache, k));   // two windows and more of misses
        Assert.True(cache.Sampling);
        var consulted = keys.Where(k => cache.Consults(k)).ToArray();
        Assert.InRange(consulted.Length, 4096 / 32, 4096 / 8);          // about 1 in 16, always the same ones
        Assert.All(consulted, k => Assert.True(cache.Consults(k)));

        // The sampled pieces recur: their hits bring every piece back.
        var recurring = consulted[..16];
        foreach (var k in recurring) cache.Store(k, [1, 2]);
        for (int i = 0; i < 600; i++) Assert.Equal([1, 2], Probe(cache, recurring[i % recurring.Length])!);
        Assert.False(cache.Sampling);
        Assert.All(keys, k => Assert.True(cache.Consults(k)));
    }

    /// <summary>
    /// The encoder through both regimes of the piece cache — pieces that never recur (it samples) and
    /// pieces that do (it is consulted again) — gives the reference merge's ids throughout.
    /// </summary>
    [Fact]
    public void PieceCacheCountsItsHitsAfreshForAnotherTable()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        PieceCache cache = PieceCache.For(table);
        for (int i = 0; i < 600; i++) Assert.Null(Probe(cache, Encoding.ASCII.GetBytes($"missing {i}")));
        Assert.True(cache.Sampling);
        Assert.Same(cache, PieceCache.For(Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)(255 - b) })])));
        Assert.False(cache.Sampling);                                  // what the other text did not decide it
    }

    [Fact]
    public void EncoderIdsDoNotDependOnWhetherThePieceCacheIsConsulted()
    {
        var (tokens, dict) = MergeTests.ReachableVocabulary(11, "abcdefghijklmnop", 3000);
        var enc = BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToList(), KnownPatterns.Gpt2, [], []);
        PieceCache cache = PieceCache.For(enc.MergeRanks.Table);
        var rng = new Random(3);
        string Word() => new(Enumerable.Range(0, 3 + rng.Next(20)).Select(_ => (char)('a' + rng.Next(16))).ToArray());
        string[] common = [.. Enumerable.Range(0, 200).Select(_ => Word())];

        void EncodeAndCompare(Func<string> word, int pieces)
        {
            var words = Enumerable.Range(0, pieces).Select(_ => " " + word()).ToArray();
            int[] expected = [.. words.SelectMany(w => MergeTests.ReferenceMerge(dict, Encoding.ASCII.GetBytes(w)))];
            Assert.Equal(expected, enc.EncodeOrdinary(string.Concat(words)));
        }

        EncodeAndCompare(Word, 3000);                                   // random words: mostly new
        Assert.True(cache.Sampling);
        EncodeAndCompare(() => common[rng.Next(common.Length)], 20000); // a few words again and again
        Assert.False(cache.Sampling);
        EncodeAndCompare(Word, 3000);
    }

    [Fact]
    public void LongPieceCacheReturnsExactlyWhatWasStored()
    {
        var table = Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)b })]);
        LongPieceCache cache = LongPieceCache.For(table);
        byte[] rule = Encoding.ASCII.GetBytes(new string('=', 80));
        byte[] longest = Encoding.ASCII.GetBytes(new string('x', LongPieceCache.MaxBytes));
        int[]? Probe(byte[] piece)
        {
            var w = TokenWriter.Growing(8);
            try { return cache.TryWrite(LongPieceCache.SetOf(piece), piece, ref w) ? w.Written.ToArray() : null; }
            finally { w.Dispose(); }
        }
        void Store(byte[] piece, int[] ids) => cache.Store(LongPieceCache.SetOf(piece), piece, ids);

        Assert.Null(Probe(rule));
        Store(rule, [9, 9, 4]);
        Store(longest, [.. Enumerable.Range(1, LongPieceCache.MaxTokens)]);
        Assert.Equal([9, 9, 4], Probe(rule)!);
        Assert.Equal([.. Enumerable.Range(1, LongPieceCache.MaxTokens)], Probe(longest)!);
        Assert.Null(Probe(rule[..^1]));                                // a prefix: another length
        byte[] lastDiffers = (byte[])rule.Clone();
        lastDiffers[^1] = (byte)'-';                                   // same length, differs only at the end
        Assert.Null(Probe(lastDiffers));

        byte[] tooLong = [.. longest, (byte)'x'];
        Store(tooLong, [1]);                                           // longer than MaxBytes: not kept
        Assert.Null(Probe(tooLong));
        byte[] many = Encoding.ASCII.GetBytes(new string('y', 100));
        Store(many, [.. Enumerable.Range(1, LongPieceCache.MaxTokens + 1)]);   // more than MaxTokens: not kept
        Assert.Null(Probe(many));

        // Six more pieces of the rule's set (found by search): a set holds four, never mixed up, and
        // the newest is always among them.
        var same = new List<byte[]>();
        int set = LongPieceCache.SetOf(rule);
        for (int i = 0; same.Count < 6; i++)
        {
            byte[] p = Encoding.ASCII.GetBytes($"{new string('-', 40)}{i}");
            if (LongPieceCache.SetOf(p) == set) same.Add(p);
        }
        for (int i = 0; i < same.Count; i++)
        {
            Store(same[i], [i, 500 + i]);
            Assert.Equal([i, 500 + i], Probe(same[i])!);
        }
        int kept = 0;
        for (int i = 0; i < same.Count; i++)
        {
            int[]? ids = Probe(same[i]);
            if (ids == null) continue;
            Assert.Equal([i, 500 + i], ids);
            kept++;
        }
        if (Probe(rule) is { } ruleIds) { Assert.Equal([9, 9, 4], ruleIds); kept++; }
        if (LongPieceCache.SetOf(longest) == set && Probe(longest) != null) kept++;
        Assert.Equal(4, kept);

        // Another table: nothing stored for the first one may answer.
        Assert.Same(cache, LongPieceCache.For(Table([.. Enumerable.Range(0, 256).Select(b => new[] { (byte)(255 - b) })])));
        Assert.Null(Probe(same[2]));
        Assert.Null(Probe(longest));
    }

    /// <summary>Long pieces (33 to 256 bytes) that recur, and ones that collide in the long-piece cache,
    /// give the reference merge's ids at every occurrence.</summary>
    [Fact]
    public void EncoderIdsForRecurringLongPiecesMatchTheReferenceMerge()
    {
        var (tokens, dict) = MergeTests.ReachableVocabulary(13, "abcdefghijklmnop", 3000);
        var enc = BpeEncoding.FromRanks(tokens, Enumerable.Range(0, tokens.Count).ToList(), KnownPatterns.Gpt2, [], []);
        var rng = new Random(17);
        string Word(int min, int max) => new(Enumerable.Range(0, min + rng.Next(max - min)).Select(_ => (char)('a' + rng.Next(16))).ToArray());
        string[] recurring = [.. Enumerable.Range(0, 40).Select(_ => Word(33, 300))];
        var words = Enumerable.Range(0, 3000)
            .Select(i => " " + (i % 3 == 0 ? Word(33, 300) : recurring[rng.Next(recurring.Length)])).ToArray();
        int[] expected = [.. words.SelectMany(w => MergeTests.ReferenceMerge(dict, Encoding.ASCII.GetBytes(w)))];
        Assert.Equal(expected, enc.EncodeOrdinary(string.Concat(words)));
        Assert.Equal(expected, enc.EncodeOrdinary(string.Concat(words)));   // now mostly from the cache

        // Into a caller's span too small for the ids: counted, and not cached cut short.
        string fresh = " " + Word(120, 121);
        int[] full = MergeTests.ReferenceMerge(dict, Encoding.ASCII.GetBytes(fresh));
        Assert.Equal(full.Length, enc.EncodeOrdinary(Encoding.ASCII.GetBytes(fresh), new int[full.Length - 1]));
        Assert.Equal(full, enc.EncodeOrdinary(fresh));
    }

    /// <summary><paramref name="count"/> pieces "<paramref name="prefix"/>0", "…1", … that fall into the
    /// piece cache's set of <paramref name="seed"/>, found by search.</summary>
    private static List<byte[]> PiecesInSetOf(ReadOnlySpan<byte> seed, string prefix, int count)
    {
        int set = new PieceCache.Key(seed).Set;
        var same = new List<byte[]>();
        for (int i = 0; same.Count < count; i++)
        {
            byte[] p = Encoding.ASCII.GetBytes($"{prefix}{i}");
            if (new PieceCache.Key(p).Set == set) same.Add(p);
        }
        return same;
    }

    private static int[]? Probe(PieceCache cache, in PieceCache.Key key)
    {
        var w = TokenWriter.Growing(32);
        try { return cache.TryWrite(key, ref w) ? w.Written.ToArray() : null; }
        finally { w.Dispose(); }
    }

    private static int[]? Probe(PieceCache cache, byte[] piece) => Probe(cache, new PieceCache.Key(piece));

    [Fact]
    public void AsciiLetterScanStopsAtTheFirstOtherByte()
    {
        var rng = new Random(11);
        byte[] alphabet = Encoding.ASCII.GetBytes("abcxyzABCXYZ@[`{ 0'\n").Concat(new byte[] { 0x80, 0xC3, 0xE0, 0xFF }).ToArray();
        for (int trial = 0; trial < 2000; trial++)
        {
            var s = new byte[rng.Next(0, 70)];
            for (int i = 0; i < s.Length; i++)
                s[i] = rng.Next(4) == 0 ? alphabet[rng.Next(alphabet.Length)] : (byte)"abcdefghijKLMNOPQRSTUVWXYZ"[rng.Next(26)];
            int from = s.Length == 0 ? 0 : rng.Next(s.Length);
            foreach (bool lower in new[] { false, true })
            {
                int got = UnicodeClass.AsciiLetters(s, from, lower);
                int expect = from;
                while (expect < s.Length && (lower ? s[expect] is >= (byte)'a' and <= (byte)'z' : char.IsAsciiLetter((char)s[expect]))) expect++;
                // Either the exact end, or a point with under 16 bytes left and only letters skipped.
                Assert.True(got == expect || (got < expect && s.Length - got < 16), $"trial {trial}: {got} vs {expect}");
            }
        }
    }

    [Fact]
    public void PackAsciiPacksAsPackDoes()
    {
        // The marked loop packs from the next eight bytes, whatever follows the key in them.
        var rng = new Random(13);
        byte[] alphabet = [0, 1, (byte)' ', (byte)'a', 0x7F];
        var word = new byte[8];
        for (int i = 0; i < 100_000; i++)
        {
            for (int j = 0; j < 8; j++) word[j] = alphabet[rng.Next(alphabet.Length)];
            int length = rng.Next(1, 12);
            ulong got = RankCache.PackAscii(BinaryPrimitives.ReadUInt64LittleEndian(word), length);
            if (length > 8) Assert.Equal(0UL, got);
            else Assert.Equal(RankCache.Pack(word.AsSpan(0, length), out ulong packed) ? packed : 0UL, got);
        }
    }

    [Fact]
    public void RankCachePacksDifferentKeysApart()
    {
        // The cache keeps 41 of a key's 57 packed bits and finds it by the other 16, so two keys that
        // packed alike would answer for each other. Keys from few byte values make near misses likely.
        var rng = new Random(11);
        byte[] alphabet = [0, 1, 0x41, 0x7F, 0x80, 0xC3, 0xFF];
        var seen = new Dictionary<ulong, string>();
        for (int i = 0; i < 200_000; i++)
        {
            var key = new byte[rng.Next(1, 9)];
            for (int j = 0; j < key.Length; j++) key[j] = alphabet[rng.Next(alphabet.Length)];
            bool packs = RankCache.Pack(key, out ulong packed);
            Assert.Equal(key[^1] != 0 && (key.Length < 8 || key.All(b => b < 0x80)), packs);
            if (!packs) continue;
            Assert.True(packed < 1UL << 57);
            string hex = Convert.ToHexString(key);
            if (seen.TryGetValue(packed, out string? other)) Assert.Equal(other, hex);
            else seen[packed] = hex;
        }
    }

    [Fact]
    public void RankCacheAnswersAsTheTableDoesUnderCollisions()
    {
        // Many more keys than entries, asked again and again: every answer must be the table's.
        var rng = new Random(12);
        var tokens = new List<byte[]>(Enumerable.Range(0, 256).Select(b => new[] { (byte)b }));
        var keys = new List<byte[]>();
        var distinct = new HashSet<string>();
        while (keys.Count < 150_000)
        {
            var key = new byte[rng.Next(1, 9)];
            for (int j = 0; j < key.Length; j++) key[j] = (byte)(rng.Next(4) == 0 ? rng.Next(256) : 'a' + rng.Next(4));
            if (!distinct.Add(Convert.ToHexString(key))) continue;
            keys.Add(key);
            if (key.Length > 1 && rng.Next(3) == 0) tokens.Add(key);
        }
        var table = Table(tokens);
        RankCache cache = RankCache.For(table);
        for (int round = 0; round < 3; round++)
            for (int i = 0; i < keys.Count; i += 1 + round)
                Assert.Equal(table.Get(keys[i]), cache.Get(table, keys[i]));
    }

    /// <summary>TokenWriter.AddRange writes, counts and reports exactly what as many Add calls would, at every room left.</summary>
    [Fact]
    public void AddRangeIsAddInALoop()
    {
        int[] ids = [7, 11, 13, 17, 19, 23];
        for (int capacity = 0; capacity <= 8; capacity++)
            for (int before = 0; before <= capacity + 1; before++)
                for (int n = 0; n <= ids.Length; n++)
                {
                    int[] a = new int[capacity], b = new int[capacity];
                    var one = new TokenWriter(a);
                    var each = new TokenWriter(b);
                    for (int k = 0; k < before; k++) { one.Add(100 + k); each.Add(100 + k); }
                    one.AddRange(ids.AsSpan(0, n));
                    foreach (int id in ids.AsSpan(0, n)) each.Add(id);
                    Assert.Equal(each.Count, one.Count);
                    Assert.Equal(each.Fits, one.Fits);
                    Assert.Equal(each.Written.ToArray(), one.Written.ToArray());
                    Assert.Equal(b, a);
                }
        var growing = TokenWriter.Growing(16);
        try
        {
            for (int round = 0; round < 40; round++) growing.AddRange(ids);
            Assert.Equal(40 * ids.Length, growing.Count);
            Assert.Equal(Enumerable.Repeat(ids, 40).SelectMany(x => x).ToArray(), growing.Written.ToArray());
        }
        finally { growing.Dispose(); }
    }
}
