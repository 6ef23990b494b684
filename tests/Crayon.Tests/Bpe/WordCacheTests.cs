using System.Text;
using Crayon.Bpe;

namespace Crayon.Tests.Bpe;

/// <summary>
/// <see cref="WordCache"/>: a hit gives exactly the ids stored for that key (never another key's,
/// whatever the key shares with it), results of more than four ids are not kept, and keys it cannot
/// hold are refused by <see cref="WordCache.Fits"/>. And the encoder gives the same ids with it as
/// without the marked-piece loop, on text made of long pieces that recur.
/// </summary>
[Collection("Gpt4AsciiStarts")]   // switches BpeEncoding.UseAsciiMasks
public class WordCacheTests
{
    private static RankTable Table()
    {
        byte[] arena = Encoding.ASCII.GetBytes("ab");
        return new RankTable(arena, [0, 1], [1, 1], [0, 1]);
    }

    [Fact]
    public void FitsOnlyKeysOfNineToSixteenBytesThatEndInAByteOtherThanZero()
    {
        byte[] text = Encoding.ASCII.GetBytes(" information theory and then some more text");
        Assert.True(WordCache.Fits(text, 0, 12));
        Assert.True(WordCache.Fits(text, 0, 9));
        Assert.True(WordCache.Fits(text, 0, 16));
        Assert.False(WordCache.Fits(text, 0, 8));
        Assert.False(WordCache.Fits(text, 0, 17));
        Assert.False(WordCache.Fits(text, text.Length - 12, 12));   // 16 bytes are not readable from there
        byte[] zero = Encoding.ASCII.GetBytes("........\0 and more text after");
        Assert.False(WordCache.Fits(zero, 0, 9));
    }

    [Fact]
    public void AHitGivesTheStoredIdsOfExactlyThatKey()
    {
        WordCache cache = WordCache.For(Table());
        var reader = new WordCache.Reader(cache);
        var rnd = new Random(7);
        const string letters = "abcdefghij ";   // few letters: many keys share prefixes and lengths
        // 6,000 texts, some the same key with other bytes after it, so that keys recur and sets overflow
        var texts = new byte[6000][];
        for (int k = 0; k < texts.Length; k++)
        {
            texts[k] = k % 3 == 2 ? (byte[])texts[k - 1].Clone() : new byte[32];
            for (int i = k % 3 == 2 ? WordCache.MaxBytes : 0; i < 32; i++) texts[k][i] = (byte)letters[rnd.Next(letters.Length)];
        }
        var stored = new Dictionary<string, int[]>();
        int hits = 0;
        for (int round = 0; round < 30000; round++)
        {
            int length = rnd.Next(WordCache.MinBytes, WordCache.MaxBytes + 1);
            byte[] text = texts[rnd.Next(texts.Length)];
            Assert.True(WordCache.Fits(text, 0, length));
            string key = Encoding.ASCII.GetString(text, 0, length);
            int[] output = new int[length];
            int written = reader.TryWrite(ref text[0], 0, length, ref output[0]);
            if (written > 0)
            {
                hits++;
                Assert.True(stored.ContainsKey(key), $"a hit for {key}, which was never stored");
                Assert.Equal(stored[key], output[..written]);
            }
            int[] ids = Enumerable.Range(0, rnd.Next(1, 7)).Select(_ => rnd.Next(0, 200_000)).ToArray();
            cache.Store(text, 0, length, ids);
            written = reader.TryWrite(ref text[0], 0, length, ref output[0]);
            if (ids.Length <= WordCache.MaxIds)
            {
                stored[key] = ids;
                Assert.Equal(ids, output[..written]);
            }
            else if (written > 0) Assert.Equal(stored[key], output[..written]);   // more than four ids are not kept
        }
        Assert.True(hits > 100, $"only {hits} hits");
    }

    [Fact]
    public void KeysThatDifferOnlyPastTheirLengthAreOneKey()
    {
        WordCache cache = WordCache.For(Table());
        var reader = new WordCache.Reader(cache);
        byte[] a = Encoding.ASCII.GetBytes(" informationXYZW and more text");
        byte[] b = Encoding.ASCII.GetBytes(" information!!!! and more text");
        cache.Store(a, 0, 12, [42, 7]);
        int[] output = new int[12];
        Assert.Equal(2, reader.TryWrite(ref b[0], 0, 12, ref output[0]));
        Assert.Equal([42, 7], output[..2]);
        Assert.Equal(0, reader.TryWrite(ref b[0], 0, 13, ref output[0]));   // " information!" is another key
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

    /// <summary>Long words that BPE splits into one to many ids, symbol runs that end in a 0 byte, each many times.</summary>
    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void EncodingWithTheWordCacheGivesTheSameIds(string name)
    {
        if (!Peers.Available) { Console.WriteLine("skipped: make peers has not run"); return; }
        BpeEncoding enc = Peers.Encoding(name);
        string[] words =
        [
            " information", " internationalization", " Pneumonoultramicroscopic", " xqzvbnmwlkjh", " QWERTYUIOPas",
            " abcdefghijklmnop", "........\0", "!!!!!!!!!!!!!!!\0", " zzzzzzzzzzzzzzz", " the", ",", "\n", " 1234567",
        ];
        var rnd = new Random(11);
        var sb = new StringBuilder();
        while (sb.Length < 50_000) sb.Append(words[rnd.Next(words.Length)]);
        string text = sb.ToString();
        bool saved = BpeEncoding.UseAsciiMasks;
        try
        {
            BpeEncoding.UseAsciiMasks = false;
            int[] plain = enc.EncodeOrdinary(text);
            BpeEncoding.UseAsciiMasks = true;
            for (int pass = 0; pass < 3; pass++) Assert.Equal(plain, enc.EncodeOrdinary(text));
        }
        finally { BpeEncoding.UseAsciiMasks = saved; }
    }
}
