using System.Runtime.InteropServices;
using System.Text;
using Crayon.Bpe;

namespace Crayon.Tests.Bpe;

/// <summary>
/// <see cref="WordCache"/>: a hit gives exactly the ids stored for that key (never another key's,
/// whatever the key shares with it), results of more than four ids are not kept, and keys it cannot
/// hold are refused by <see cref="WordCache.Fits(System.ReadOnlySpan{byte})"/>. And the encoder gives tiktoken's
/// ids with it, on text made of long pieces that recur; and its hits count as the piece cache's.
/// </summary>
[Collection("Gpt4AsciiStarts")]   // switches BpeEncoding.UseAsciiMasks
public class WordCacheTests
{
    [Fact]
    public void FitsOnlyKeysOfNineToSixteenBytesThatEndInAByteOtherThanZero()
    {
        byte[] text = Encoding.UTF8.GetBytes(" information теория");
        Assert.True(WordCache.Fits(text.AsSpan(0, 12)));
        Assert.True(WordCache.Fits(text.AsSpan(0, 9)));
        Assert.True(WordCache.Fits(text.AsSpan(text.Length - 16)));   // not ASCII
        Assert.False(WordCache.Fits(text.AsSpan(0, 8)));
        Assert.False(WordCache.Fits(text.AsSpan(0, 17)));
        Assert.False(WordCache.Fits("........\0"u8));
    }

    /// <summary>Random keys over every byte value, many sharing their first or last eight bytes, stored and looked up at random.</summary>
    [Fact]
    public void AHitGivesTheStoredIdsOfExactlyThatKey()
    {
        var cache = new WordCache();
        var reader = new WordCache.Reader(cache);
        var rnd = new Random(7);
        byte[] alphabet = [0, 1, (byte)'a', (byte)'b', (byte)' ', 0x80, 0xD0, 0xFF];   // few bytes: keys share prefixes and suffixes
        var pieces = new byte[6000][];
        for (int k = 0; k < pieces.Length; k++)
        {
            pieces[k] = new byte[rnd.Next(WordCache.MinBytes, WordCache.MaxBytes + 1)];
            for (int i = 0; i < pieces[k].Length; i++) pieces[k][i] = alphabet[rnd.Next(alphabet.Length)];
            if (k % 3 == 2)   // the piece before with its last byte dropped or one more byte: the same first words
                pieces[k] = [.. pieces[k - 1].AsSpan(0, Math.Max(WordCache.MinBytes, pieces[k - 1].Length - 1)), .. pieces[k].AsSpan(0, pieces[k - 1].Length < WordCache.MaxBytes ? 1 : 0)];
            if (pieces[k][^1] == 0) pieces[k][^1] = 7;
        }
        var stored = new Dictionary<string, int[]>();
        int hits = 0;
        for (int round = 0; round < 30000; round++)
        {
            byte[] piece = pieces[rnd.Next(pieces.Length)];
            Assert.True(WordCache.Fits(piece));
            string key = Convert.ToHexString(piece);
            int[] output = new int[piece.Length];
            int written = reader.TryWrite(ref piece[0], 0, piece.Length, ref output[0]);
            if (written > 0)
            {
                hits++;
                Assert.True(stored.ContainsKey(key), $"a hit for {key}, which was never stored");
                Assert.Equal(stored[key], output[..written]);
            }
            int[] ids = Enumerable.Range(0, rnd.Next(1, 11)).Select(_ => rnd.Next(0, 200_000)).ToArray();
            cache.Store(piece, ids);
            var writer = new TokenWriter(new int[16]);
            bool hit = cache.TryWrite(piece, ref writer);
            if (ids.Length <= WordCache.MaxIds)
            {
                stored[key] = ids;
                Assert.True(hit);
                Assert.Equal(ids, writer.Written.ToArray());
            }
            else if (hit) Assert.Equal(stored[key], writer.Written.ToArray());   // more than eight ids are not kept
        }
        Assert.True(hits > 1000, $"only {hits} hits");
    }

    [Fact]
    public void KeysAreTheirBytesExactly()
    {
        var cache = new WordCache();
        var reader = new WordCache.Reader(cache);
        byte[] a = Encoding.ASCII.GetBytes(" informationXYZW and more text");
        byte[] b = Encoding.ASCII.GetBytes(" information!!!! and more text");
        cache.Store(a.AsSpan(0, 12), [42, 7]);
        int[] output = new int[16];
        Assert.Equal(2, reader.TryWrite(ref b[0], 0, 12, ref output[0]));   // what follows the piece is not the key
        Assert.Equal([42, 7], output[..2]);
        Assert.Equal(0, reader.TryWrite(ref b[0], 0, 13, ref output[0]));   // " information!" is another key
        byte[] nine = Encoding.ASCII.GetBytes("abcdefghi");
        byte[] ten = Encoding.ASCII.GetBytes("abcdefgh\0i");   // the same words but for a 0 byte inside
        cache.Store(nine, [1]);
        Assert.Equal(0, reader.TryWrite(ref ten[0], 0, 10, ref output[0]));
        cache.Clear();
        Assert.Equal(0, reader.TryWrite(ref b[0], 0, 12, ref output[0]));
    }

    /// <summary>Keys in one set that share their first eight bytes, or their last eight.</summary>
    [Fact]
    public void KeysInOneSetAreToldApart()
    {
        byte[] key = Encoding.ASCII.GetBytes(" understanding");
        int set = WordCache.SetOf(key);
        var rnd = new Random(9);
        foreach (Func<byte[]> make in new Func<byte[]>[]
                 {
                     () => [.. key.AsSpan(0, 8), .. Enumerable.Range(0, key.Length - 8).Select(_ => (byte)rnd.Next(1, 256))],   // same first word
                     () => [.. Enumerable.Range(0, key.Length - 8).Select(_ => (byte)rnd.Next(1, 256)), .. key.AsSpan(key.Length - 8)],   // same last eight bytes
                 })
        {
            byte[] other;
            do other = make(); while (WordCache.SetOf(other) != set || other.AsSpan().SequenceEqual(key));
            var cache = new WordCache();
            var reader = new WordCache.Reader(cache);
            cache.Store(key, [5]);
            int[] output = new int[16];
            Assert.Equal(0, reader.TryWrite(ref other[0], 0, other.Length, ref output[0]));
            cache.Store(other, [6, 7]);
            Assert.Equal(1, reader.TryWrite(ref key[0], 0, key.Length, ref output[0]));   // both ways of the set
            Assert.Equal(5, output[0]);
            Assert.Equal(2, reader.TryWrite(ref other[0], 0, other.Length, ref output[0]));
            Assert.Equal([6, 7], output[..2]);
        }
    }

    /// <summary>
    /// A wide entry (five to eight ids) takes its set's line: the entries it displaces are gone, a
    /// plain entry stored after it displaces it whole, and the ids it keeps where the second entry's
    /// key would be never answer a key made of those very bytes.
    /// </summary>
    [Fact]
    public void WideEntriesTakeTheWholeSet()
    {
        // d: a 16-byte key whose two words are four ids' bits (little-endian), its last byte not 0.
        int[] fake = [0x01020304, 0x05060708, 0x090A0B0C, 0x4D0E0F10];
        byte[] d = MemoryMarshal.AsBytes(fake.AsSpan()).ToArray();
        int set = WordCache.SetOf(d);
        var rnd = new Random(11);
        var sameSet = new List<byte[]>();
        while (sameSet.Count < 3)
        {
            byte[] k = new byte[rnd.Next(WordCache.MinBytes, WordCache.MaxBytes + 1)];
            for (int i = 0; i < k.Length; i++) k[i] = (byte)rnd.Next(1, 256);
            if (WordCache.SetOf(k) == set) sameSet.Add(k);
        }
        (byte[] a, byte[] b, byte[] c) = (sameSet[0], sameSet[1], sameSet[2]);
        var cache = new WordCache();
        int[] output = new int[16];
        int Ask(byte[] key) => new WordCache.Reader(cache).TryWrite(ref key[0], 0, key.Length, ref output[0]);

        cache.Store(a, [1]);
        cache.Store(b, [2, 3]);
        Assert.Equal(1, Ask(a));
        Assert.Equal(2, Ask(b));
        int[] wide = [7, 8, 9, .. fake, 12];   // the second entry's key place gets d's two words, then 12
        cache.Store(c, wide);
        Assert.Equal(8, Ask(c));
        Assert.Equal(wide, output[..8]);
        Assert.Equal(0, Ask(a));
        Assert.Equal(0, Ask(b));
        Assert.Equal(0, Ask(d));
        cache.Store(a, [4, 5, 6]);   // a plain entry displaces the wide one whole
        Assert.Equal(3, Ask(a));
        Assert.Equal([4, 5, 6], output[..3]);
        Assert.Equal(0, Ask(c));
        Assert.Equal(0, Ask(d));
        cache.Store(b, [2]);
        Assert.Equal(1, Ask(b));
        Assert.Equal(3, Ask(a));   // two plain entries again
        cache.Store(c, [1, 2, 3, 4, 5]);
        var writer = new TokenWriter(new int[16]);
        Assert.True(cache.TryWrite(c, ref writer));
        Assert.Equal([1, 2, 3, 4, 5], writer.Written.ToArray());
        cache.Store(c, [1, 2, 3, 4, 5, 6, 7, 8, 9]);   // nine: not kept, the entry stays
        Assert.Equal(5, Ask(c));
    }

    /// <summary>
    /// The piece cache samples (is consulted for 1 piece in 16) while under a quarter of its probes hit.
    /// On English most recurring long words are answered by the word cache in front of it, so the
    /// pieces that reach it are mostly new: unless the word cache's hits count as its own, it samples,
    /// and pieces it would have answered are merged again each time.
    /// </summary>
    [Fact]
    public void WordCacheHitsKeepThePieceCacheConsultedOnEnglish()
    {
        if (!Peers.Available) { Console.WriteLine("skipped: make peers has not run"); return; }
        BpeEncoding enc = Peers.Encoding("cl100k_base");
        string[] texts = Peers.Corpus("english", 400_000).ToArray();
        bool saved = BpeEncoding.UseAsciiMasks;
        try
        {
            BpeEncoding.UseAsciiMasks = true;
            for (int pass = 0; pass < 2; pass++)
                foreach (string text in texts) enc.EncodeOrdinary(text);
        }
        finally { BpeEncoding.UseAsciiMasks = saved; }
        Assert.False(PieceCache.For(enc.RankTableForBenchmarks).Sampling);
    }

    /// <summary>
    /// Long words that BPE splits into one to many ids (ASCII, Cyrillic, Chinese, Hindi), symbol runs
    /// that end in a 0 byte, each many times: the ids are tiktoken's on every pass, with the marked-piece
    /// loop and without it.
    /// </summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void EncodingWithTheWordCacheGivesTiktokensIds(string name)
    {
        if (!Peers.Available) { Console.WriteLine("skipped: make peers has not run"); return; }
        BpeEncoding enc = Peers.Encoding(name);
        string[] words =
        [
            " information", " internationalization", " Pneumonoultramicroscopic", " xqzvbnmwlkjh", " QWERTYUIOPas",
            " abcdefghijklmnop", "........\0", "!!!!!!!!!!!!!!!\0", " zzzzzzzzzzzzzzz", " the", ",", "\n", " 1234567",
            " информация", " Достоевский", " 人工智能系统", " विश्वविद्यालय", " ελληνικά",
        ];
        var rnd = new Random(11);
        var sb = new StringBuilder();
        while (sb.Length < 50_000) sb.Append(words[rnd.Next(words.Length)]);
        string text = sb.ToString();
        int[] expected = Peers.TiktokenIds(name, [text])[0];
        bool saved = BpeEncoding.UseAsciiMasks;
        try
        {
            foreach (bool masks in new[] { false, true, true })
            {
                BpeEncoding.UseAsciiMasks = masks;
                Assert.Equal(expected, enc.EncodeOrdinary(text));
            }
        }
        finally { BpeEncoding.UseAsciiMasks = saved; }
    }
}
