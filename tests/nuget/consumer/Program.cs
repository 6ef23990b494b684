// The consumer of the Crayon.NET package (tests/nuget/run.sh copies this into a fresh console
// project that restores the package from a local folder). It checks the package's ids against
// ids computed without it (tests/nuget/expected.py) and that bad input gets the documented .NET
// exception. Prints one line per check; exits 1 on the first failure.
//
//   dotnet run -- EXPECTED.json TIKTOKEN_DIR
using System.Text;
using System.Text.Json;
using Crayon;

if (args.Length != 2) { Console.Error.WriteLine("usage: consumer EXPECTED.json TIKTOKEN_DIR"); return 2; }
using JsonDocument expected = JsonDocument.Parse(File.ReadAllBytes(args[0]));
JsonElement root = expected.RootElement;
string[] texts = root.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
int checks = 0;

void Check(bool ok, string what)
{
    if (!ok) throw new Exception("FAILED: " + what);
    checks++;
}

void SameIds(int[] actual, JsonElement want, string what)
{
    int[] w = want.EnumerateArray().Select(e => e.GetInt32()).ToArray();
    if (!actual.AsSpan().SequenceEqual(w))
    {
        int at = 0;
        while (at < Math.Min(actual.Length, w.Length) && actual[at] == w[at]) at++;
        throw new Exception($"FAILED: {what}: {actual.Length} ids, expected {w.Length}; first difference at {at}: "
                          + $"[{string.Join(",", actual.Skip(at).Take(6))}] vs [{string.Join(",", w.Skip(at).Take(6))}]");
    }
    checks++;
}

void Throws<T>(Action action, string what) where T : Exception
{
    try { action(); }
    catch (T e) { Console.WriteLine($"  ok: {what}: {typeof(T).Name}: {e.Message}"); checks++; return; }
    catch (Exception e) { throw new Exception($"FAILED: {what}: expected {typeof(T).Name}, got {e.GetType().Name}: {e.Message}"); }
    throw new Exception($"FAILED: {what}: expected {typeof(T).Name}, nothing was thrown");
}

try
{
    // ---- longest match: the lite profile that ships in the package (copied to profiles/) --------
    Check(CrayonVocab.AvailableProfiles().Contains("lite"), "lite is among the available profiles");
    using (CrayonVocab vocab = CrayonVocab.Load("lite"))
    {
        Console.WriteLine($"profile {vocab.Name}: {vocab.VocabSize} ids, from {vocab.FilePath}");
        vocab.Verify();   // the shipped file passes the full check
        JsonElement lite = root.GetProperty("lite");
        for (int i = 0; i < texts.Length; i++)
        {
            int[] ids = vocab.Tokenize(texts[i]);
            SameIds(ids, lite[i], $"lite ids of text {i}");
            Check(vocab.Decode(ids) == texts[i], $"lite round trip of text {i}");

            byte[] utf8 = Encoding.UTF8.GetBytes(texts[i]);
            var room = new int[CrayonVocab.MaxTokenCount(utf8.Length)];
            int n = vocab.Tokenize(utf8, room);
            Check(room.AsSpan(0, n).SequenceEqual(ids), $"lite span tokenize of text {i}");
            var small = new int[Math.Max(0, ids.Length - 1)];
            Check(vocab.Tokenize(utf8, small) == ids.Length && small.AsSpan().SequenceEqual(ids.AsSpan(0, small.Length)),
                  $"a short span gets the first ids and the full count (text {i})");
        }
        // Invalid UTF-8 is bytes like any other for longest match: it round-trips exactly.
        byte[] junk = [0xff, 0xfe, (byte)'a', 0xc3];
        Check(vocab.DecodeBytes(vocab.Tokenize(junk)).AsSpan().SequenceEqual(junk), "invalid UTF-8 round-trips as byte tokens");
        Throws<ArgumentOutOfRangeException>(() => vocab.Decode([vocab.VocabSize]), "unknown id");
        Throws<ArgumentException>(() => vocab.Tokenize("lone \ud800 surrogate"), "lone surrogate");

        // A vocabulary built in memory, then hot-swapped in by path.
        string dat = Path.Combine(Path.GetTempPath(), $"crayon-consumer-{Environment.ProcessId}.dat");
        File.WriteAllBytes(dat, CrayonVocab.BuildImage(["hello", " world"], "mini"));
        try
        {
            vocab.SwapProfile(dat);
            Check(vocab.Name == "mini", "swapped profile is active");
            SameIds(vocab.Tokenize("hello world"), JsonDocument.Parse($"[{CrayonVocab.FirstLearnedId},{CrayonVocab.FirstLearnedId + 1}]").RootElement,
                    "ids of a built vocabulary");
            SameIds(vocab.Tokenize("hi"), JsonDocument.Parse($"[{CrayonVocab.ByteIdBase + 'h'},{CrayonVocab.ByteIdBase + 'i'}]").RootElement,
                    "byte tokens");
        }
        finally { File.Delete(dat); }
    }
    Throws<KeyNotFoundException>(() => CrayonVocab.Load("no_such_profile"), "unknown profile name");
    Throws<FileNotFoundException>(() => CrayonVocab.Load("/nonexistent/x.dat"), "missing profile file");
    Throws<InvalidDataException>(() => CrayonVocab.FromBytes(Encoding.ASCII.GetBytes("not a dat file at all, just text")), "corrupt .dat");
    byte[] damaged = CrayonVocab.BuildImage(["hello", " world"], "damaged");
    damaged[^1] ^= 0x5a;   // the last byte of the image: the full check must catch it
    Throws<InvalidDataException>(() => { using var v = CrayonVocab.FromBytes(damaged); v.Verify(); }, "a damaged .dat fails Verify");
    Throws<InvalidDataException>(() => CrayonVocab.FromBytes(damaged, verify: true), "a damaged .dat fails a verified load");
    var disposed = CrayonVocab.FromBytes(CrayonVocab.BuildImage(["ab"], "x"));
    disposed.Dispose();
    Throws<ObjectDisposedException>(() => disposed.Tokenize("ab"), "use after Dispose");

    // ---- tiktoken-exact BPE: cl100k_base -------------------------------------------------------
    TiktokenEncoding enc = TiktokenEncoding.Load("cl100k_base", args[1]);
    Console.WriteLine($"encoding {enc.Name}: {enc.VocabSize} ids, {enc.SpecialTokens.Count} special tokens");
    JsonElement ordinary = root.GetProperty("cl100k_ordinary");
    for (int i = 0; i < texts.Length; i++)
    {
        int[] ids = enc.Encode(texts[i]);
        SameIds(ids, ordinary[i], $"cl100k_base ids of text {i}");
        Check(enc.Decode(ids) == texts[i], $"cl100k_base round trip of text {i}");
    }
    int[][] batch = enc.EncodeBatch(texts, threads: 2);
    for (int i = 0; i < texts.Length; i++) SameIds(batch[i], ordinary[i], $"cl100k_base batch ids of text {i}");

    string special = root.GetProperty("special_text").GetString()!;
    SameIds(enc.Encode(special, SpecialTokenPolicy.AllowAll), root.GetProperty("special_all"), "allowed_special=\"all\"");
    SameIds(enc.EncodeOrdinary(special), root.GetProperty("special_ordinary"), "encode_ordinary");
    SameIds(enc.Encode(special, SpecialTokenPolicy.Ordinary), root.GetProperty("special_ordinary"), "disallowed_special=()");
    Throws<DisallowedSpecialTokenException>(() => enc.Encode(special), "a special token under the default policy");
    Throws<DisallowedSpecialTokenException>(() => enc.Encode(special, SpecialTokenPolicy.Allow("<|endoftext|>")),
                                            "a special token that is not among the allowed");
    Throws<ArgumentException>(() => enc.Encode(special, SpecialTokenPolicy.Create(disallowed: ["<|nope|>"])),
                              "disallowing a name that is no special token");
    Throws<ArgumentException>(() => enc.Encode(new byte[] { (byte)'a', 0xff }), "invalid UTF-8");
    Throws<ArgumentOutOfRangeException>(() => enc.Decode([enc.VocabSize + 5]), "unknown id");
    Throws<ArgumentException>(() => TiktokenEncoding.Load("cl99k"), "unknown encoding name");
    Throws<FileNotFoundException>(() => TiktokenEncoding.Load("o200k_base", "/nonexistent"), "missing rank file");
    Throws<InvalidDataException>(() => TiktokenEncoding.Create("bad", "aGk= x\n"u8, "\\S+"), "malformed rank file");

    // ---- training: learn merges, save .tiktoken, load it back -----------------------------------
    var trainer = new BpeTrainer();
    trainer.Feed(texts);
    TiktokenEncoding trained = trainer.Train(320, new Dictionary<string, int> { ["<|end|>"] = 320 });
    Check(trainer.VocabSize == 320 && trained.VocabSize == 321, "trained vocabulary size");
    string saved = Path.Combine(Path.GetTempPath(), $"crayon-consumer-{Environment.ProcessId}.tiktoken");
    trainer.SaveTiktoken(saved);
    try
    {
        TiktokenEncoding reloaded = TiktokenEncoding.Create("reloaded", File.ReadAllBytes(saved), trainer.Pattern);
        long totalIds = 0, totalBytes = 0;
        foreach (string t in texts)
        {
            int[] ids = trained.Encode(t);
            totalIds += ids.Length;
            totalBytes += Encoding.UTF8.GetByteCount(t);
            Check(trained.Decode(ids) == t, "trained round trip");
            Check(reloaded.Encode(t).AsSpan().SequenceEqual(ids), "the saved .tiktoken gives the same ids");
        }
        Check(totalIds < totalBytes, "trained merges shorten the texts");
        Console.WriteLine($"trained {trainer.VocabSize} tokens: {totalBytes} bytes -> {totalIds} ids");
    }
    finally { File.Delete(saved); }
}
catch (Exception e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
Console.WriteLine($"consumer: {checks} checks passed");
return 0;
