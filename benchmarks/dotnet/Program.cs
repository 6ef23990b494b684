// The .NET tokenizers side by side on the same documents: Crayon.NET (this repository's package
// API), Microsoft.ML.Tokenizers 2.0.1 and SharpToken 2.0.6, for cl100k_base and o200k_base.
// First every tokenizer's ids are compared with the npm tiktoken's (the reference, computed by
// benchmarks/dotnet_bench.py), and the documents where a tokenizer differs are reported; then each
// encodes the whole set --repeat times after warming up (>= 2 passes, >= 0.5 s), on one thread,
// the tokenizers' passes interleaved, and the median pass gives MB/s (MB = 10^6 bytes of UTF-8).
// Text goes in as .NET strings for all three, so the UTF-16 → UTF-8 conversion Crayon needs is
// part of its time.
//
//   dotnet-bench --tiktoken-dir DIR --repeat N --set KIND ENCODING DOCS.bin REF_IDS.bin [--set ...]
//
// DOCS.bin: u32 n, then n × (u32 byte length, UTF-8 bytes); REF_IDS.bin: n × (u32 count, count × u32).
using System.Diagnostics;
using System.Text;
using Crayon;
using Microsoft.ML.Tokenizers;
using SharpToken;

string? tiktokenDir = null;
int repeat = 5;
var sets = new List<(string Kind, string Encoding, string Docs, string Ref)>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--tiktoken-dir": tiktokenDir = args[++i]; break;
        case "--repeat": repeat = int.Parse(args[++i]); break;
        case "--set": sets.Add((args[i + 1], args[i + 2], args[i + 3], args[i + 4])); i += 4; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}
if (sets.Count == 0) { Console.Error.WriteLine("usage: dotnet-bench --tiktoken-dir DIR --repeat N --set KIND ENCODING DOCS REF ..."); return 2; }

var peersByEncoding = new Dictionary<string, (string Name, Func<string, int[]> Encode)[]>();
(string Name, Func<string, int[]> Encode)[] Peers(string encoding)
{
    if (peersByEncoding.TryGetValue(encoding, out var p)) return p;
    TiktokenEncoding crayon = TiktokenEncoding.Load(encoding, tiktokenDir);
    TiktokenTokenizer ml = TiktokenTokenizer.CreateForEncoding(encoding);
    GptEncoding sharp = GptEncoding.GetEncoding(encoding);
    p =
    [
        ("Crayon.NET", t => crayon.EncodeOrdinary(t)),
        ("Microsoft.ML.Tokenizers", t => ml.EncodeToIds(t, considerPreTokenization: true, considerNormalization: true) is IReadOnlyList<int> ids ? [.. ids] : []),
        ("SharpToken", t => sharp.Encode(t).ToArray()),
    ];
    return peersByEncoding[encoding] = p;
}

Console.WriteLine($".NET {Environment.Version}, {Environment.ProcessorCount} cores; median of {repeat} passes after a warm-up, one thread");
Console.WriteLine($"{"set",-24} {"tokenizer",-24} {"MB/s",8} {"x Crayon",9} {"docs ≠ tiktoken",16}  first difference");
foreach (var (kind, encoding, docsPath, refPath) in sets)
{
    string[] docs = ReadDocs(docsPath);
    int[][] reference = ReadIds(refPath, docs.Length);
    long bytes = 0;
    foreach (string d in docs) bytes += Encoding.UTF8.GetByteCount(d);
    var peers = Peers(encoding);
    var notes = new string[peers.Length];
    for (int k = 0; k < peers.Length; k++)
    {
        // Correctness first: every document against the reference.
        int differ = 0;
        string example = "";
        for (int i = 0; i < docs.Length; i++)
        {
            int[] ids;
            try { ids = peers[k].Encode(docs[i]); }
            catch (Exception e) { ids = []; example = example.Length > 0 ? example : $"doc {i}: {e.GetType().Name}"; }
            if (ids.AsSpan().SequenceEqual(reference[i])) continue;
            if (differ++ == 0 && example.Length == 0) example = Difference(docs[i], ids, reference[i], i, peers[0].Encode);
        }
        notes[k] = $"{$"{differ}/{docs.Length}",16}  {example}";
        // Warm-up until the JIT has settled (tiered compilation promotes hot code after a while):
        // at least two passes and half a second.
        long warm = Stopwatch.GetTimestamp();
        for (int pass = 0; pass < 2 || Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.5; pass++) EncodeAll(docs, peers[k].Encode);
    }
    // Passes interleave the tokenizers, so a change in the machine's load (it is shared) falls on
    // all of them alike and the ratios stay meaningful.
    var seconds = new double[peers.Length][];
    for (int k = 0; k < peers.Length; k++) seconds[k] = new double[repeat];
    for (int pass = 0; pass < repeat; pass++)
        for (int k = 0; k < peers.Length; k++)
        {
            long start = Stopwatch.GetTimestamp();
            EncodeAll(docs, peers[k].Encode);
            seconds[k][pass] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    double crayonMbs = 0;
    for (int k = 0; k < peers.Length; k++)
    {
        Array.Sort(seconds[k]);
        double mbs = bytes / 1e6 / seconds[k][repeat / 2];
        if (k == 0) crayonMbs = mbs;
        Console.WriteLine($"{kind + " " + encoding,-24} {peers[k].Name,-24} {mbs,8:F2} {mbs / crayonMbs,9:F2} {notes[k]}");
    }
}
return 0;

static long EncodeAll(string[] docs, Func<string, int[]> encode)
{
    long tokens = 0;
    foreach (string d in docs) tokens += encode(d).Length;
    return tokens;
}

static string Difference(string doc, int[] ids, int[] want, int index, Func<string, int[]> crayon)
{
    int at = 0;
    while (at < Math.Min(ids.Length, want.Length) && ids[at] == want[at]) at++;
    // Where in the text: the longest prefix whose reference ids are want[..k] for some k <= at
    // (found by encoding prefixes is too slow for long documents; a character scan is enough).
    int chars = 0;
    for (int c = 1; c <= doc.Length; c++)
    {
        if (c < doc.Length && char.IsLowSurrogate(doc[c])) continue;
        if (crayon(doc[..c]).Length > at) break;
        chars = c;
        if (c > 4000) break;
    }
    string around = doc.Substring(Math.Max(0, chars - 6), Math.Min(14, doc.Length - Math.Max(0, chars - 6)));
    string shown = around.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\r", "\\r");
    return $"doc {index} near \"{shown}\": [{string.Join(",", ids.Skip(at).Take(3))}] vs tiktoken [{string.Join(",", want.Skip(at).Take(3))}]";
}

static string[] ReadDocs(string path)
{
    byte[] data = File.ReadAllBytes(path);
    int n = BitConverter.ToInt32(data, 0), p = 4;
    var docs = new string[n];
    var strict = new UTF8Encoding(false, true);
    for (int i = 0; i < n; i++)
    {
        int len = BitConverter.ToInt32(data, p);
        docs[i] = strict.GetString(data, p + 4, len);
        p += 4 + len;
    }
    return docs;
}

static int[][] ReadIds(string path, int n)
{
    byte[] data = File.ReadAllBytes(path);
    var ids = new int[n][];
    int p = 0;
    for (int i = 0; i < n; i++)
    {
        int count = BitConverter.ToInt32(data, p);
        ids[i] = new int[count];
        Buffer.BlockCopy(data, p + 4, ids[i], 0, count * 4);
        p += 4 + count * 4;
    }
    if (p != data.Length) throw new InvalidDataException($"{path}: {data.Length - p} bytes left over (not {n} documents)");
    return ids;
}
