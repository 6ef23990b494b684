using System.Text;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

public class RoundTripTests
{
    [Fact]
    public void Decode_of_tokenize_is_the_input_for_random_bytes()
    {
        var rng = new Random(42);
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.RandomVocabulary(rng, 2000, "ab\u00e9\u00ff\n ")));
        for (int i = 0; i < 300; i++)
        {
            byte[] text = EngineFixtures.RandomBytes(rng, rng.Next(0, 2000));
            Assert.Equal(text, tok.Decode(tok.Tokenize(text)));
        }
    }

    [Fact]
    public void Decode_of_tokenize_is_the_input_for_real_text()
    {
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()));
        byte[] text = Encoding.UTF8.GetBytes(EngineFixtures.Sample);
        int[] ids = tok.Tokenize(text);
        Assert.True(ids.Length < text.Length / 2, "the vocabulary should shorten the sample");
        Assert.Equal(text, tok.Decode(ids));
    }

    [Fact]
    public void Specials_decode_to_their_names_and_are_never_produced()
    {
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()));
        Assert.Equal("<PAD><UNK><BOS><EOS>"u8.ToArray(), tok.Decode([0, 1, 2, 3]));
        Assert.DoesNotContain(tok.Tokenize("<BOS>hello<EOS>"u8), id => id < 4);
    }

    [Fact]
    public void Unknown_ids_are_rejected_with_their_position()
    {
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()));
        var e = Assert.Throws<UnknownTokenIdException>(() => tok.Decode([5, 6, tok.VocabSize]));
        Assert.Equal(2, e.Position);
        Assert.Throws<UnknownTokenIdException>(() => tok.Decode([-1]));
    }

    [Fact]
    public unsafe void Batch_equals_one_call_per_document_for_every_buffer_size()
    {
        var rng = new Random(7);
        using var tok = new Tokenizer(EngineFixtures.Load(EngineFixtures.RandomVocabulary(rng, 1000)));
        var docs = new List<byte[]>();
        for (int i = 0; i < 97; i++) docs.Add(Encoding.UTF8.GetBytes(new string('a', rng.Next(0, 5)) + "abc de " + i + new string(' ', rng.Next(0, 300))));
        // Random bytes in the middle need about one id per byte: below the bound their chunks outgrow their
        // share of the buffer and the chunks after them move right, not left.
        for (int i = 0; i < 20; i++) docs.Insert(30 + i, EngineFixtures.RandomBytes(rng, 300));
        docs.Add([]);
        var expected = docs.SelectMany(d => tok.Tokenize(d)).ToArray();
        long totalBytes = docs.Sum(d => (long)d.Length);
        var handles = docs.Select(d => System.Runtime.InteropServices.GCHandle.Alloc(d, System.Runtime.InteropServices.GCHandleType.Pinned)).ToList();
        try
        {
            nint[] ptrs = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
            long[] lens = docs.Select(d => (long)d.Length).ToArray();
            long n = expected.Length;
            foreach (long cap in new[] { totalBytes, totalBytes + 5, (totalBytes + n) / 2, n + 1, n, n - 1, 1, 0 })
            {
                var output = new int[Math.Max(cap, 1)];
                var offsets = new long[docs.Count + 1];
                long r;
                fixed (int* o = output) fixed (long* off = offsets)
                    r = tok.TokenizeBatch(ptrs, lens, o, cap, off, 3);
                if (cap < n)
                {
                    Assert.Equal(-n, r);
                    for (int i = 0; i < docs.Count; i++)   // the offsets are filled even then
                        Assert.Equal(tok.Tokenize(docs[i]).Length, offsets[i + 1] - offsets[i]);
                    continue;
                }
                Assert.Equal(expected.Length, r);
                Assert.Equal(expected, output[..expected.Length]);
                for (int i = 0; i < docs.Count; i++)
                    Assert.Equal(tok.Tokenize(docs[i]), output[(int)offsets[i]..(int)offsets[i + 1]]);
            }
        }
        finally { handles.ForEach(h => h.Free()); }
    }
}
