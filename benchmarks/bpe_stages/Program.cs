// Where exact BPE spends its time: per encoding and kind of text, the thread CPU time (best of 12
// passes) of UTF-8 validation, splitting alone, splitting + whole-piece lookups, and the full encode;
// then, for the pieces that are not one token, one merge each (no piece cache) and one piece-cache
// probe each. Usage: BpeStages <data dir> [kind ...]; benchmarks/bpe_stages.py writes the data.
using System.Runtime.InteropServices;
using System.Text.Unicode;
using Crayon.Bpe;
using Crayon.PreTokenize;

string dir = args[0];
string[] kinds = args.Length > 1 ? args[1..] : ["english", "code", "email", "multilingual"];
foreach (string name in new[] { "cl100k_base", "o200k_base" })
{
    var encoding = BpeEncoding.FromTiktokenFile(Path.Combine(dir, name + ".tiktoken"), File.ReadAllText(Path.Combine(dir, name + ".pattern")), [], []);
    PreTokenizer pre = encoding.PreTokenizer;
    RankTable table = encoding.RankTableForBenchmarks;
    int PieceEnd(ReadOnlySpan<byte> s, int i) => pre is Gpt4Splitter g ? g.PieceEnd(s, i) : ((O200kSplitter)pre).PieceEnd(s, i);
    foreach (string kind in kinds)
    {
        List<byte[]> docs = ReadDocuments(Path.Combine(dir, kind + ".docs"));
        double mb = docs.Sum(d => (long)d.Length) / 1e6;
        var output = new int[1 << 16];
        long pieces = 0, single = 0, tokens = 0;
        double validate = Best(() => { foreach (byte[] d in docs) if (!Utf8.IsValid(d)) throw new InvalidDataException(); });
        double split = Best(() => { foreach (byte[] d in docs) for (int p = 0; p < d.Length;) p = PieceEnd(d, p); });
        double lookup = Best(() =>
        {
            // As the encoder looks a piece up whole: the per-thread rank cache for up to 8 bytes, else the table.
            RankCache rankCache = RankCache.For(table);
            pieces = single = 0;
            foreach (byte[] d in docs)
                for (int p = 0; p < d.Length;)
                {
                    int q = PieceEnd(d, p);
                    pieces++;
                    if (rankCache.Get(table, d.AsSpan(p, q - p)) >= 0) single++;
                    p = q;
                }
        });
        double full = Best(() => { tokens = 0; foreach (byte[] d in docs) tokens += encoding.EncodeOrdinary(d, output); });

        var merged = new List<(byte[] doc, int start, int end)>();
        foreach (byte[] d in docs)
            for (int p = 0; p < d.Length;)
            {
                int q = PieceEnd(d, p);
                if (!encoding.TryEncodeSingleToken(d.AsSpan(p, q - p), out _)) merged.Add((d, p, q));
                p = q;
            }
        long hits = 0;
        double probe = Best(() =>
        {
            PieceCache cache = PieceCache.For(table);
            hits = 0;
            foreach (var (d, p, q) in merged)
            {
                if (q - p > PieceCache.MaxBytes) continue;
                var w = new TokenWriter(output);
                if (cache.TryWrite(new PieceCache.Key(d.AsSpan(p, q - p)), ref w)) hits++;
            }
        });
        double merge = Best(() =>
        {
            var ranks = new BytePairMerger.Ranks(table, RankCache.For(table));
            foreach (var (d, p, q) in merged)
            {
                var w = new TokenWriter(output);
                BytePairMerger.Merge(ranks, d.AsSpan(p, q - p), ref w);
            }
        });
        Console.WriteLine($"{name} {kind}: {mb:F2} MB, {pieces} pieces, {(double)single / pieces:P1} one token, {tokens} tokens, {mb / full:F1} MB/s");
        Console.WriteLine($"  ms per MB: validate {validate / mb * 1e3:F2}, split {split / mb * 1e3:F2}, whole-piece lookup {(lookup - split) / mb * 1e3:F2}, " +
                          $"merges + piece cache + output {(full - lookup - validate) / mb * 1e3:F2}, total {full / mb * 1e3:F2}");
        Console.WriteLine($"  {merged.Count} pieces not one token: merge {merge / merged.Count * 1e9:F0} ns each, piece-cache probe " +
                          $"{probe / merged.Count * 1e9:F0} ns each, {(double)hits / merged.Count:P1} held after the full encodes");
    }
}

static List<byte[]> ReadDocuments(string path)
{
    byte[] all = File.ReadAllBytes(path);
    var docs = new List<byte[]>();
    for (int at = 0; at < all.Length;)
    {
        int n = BitConverter.ToInt32(all, at);
        docs.Add(all[(at + 4)..(at + 4 + n)]);
        at += 4 + n;
    }
    return docs;
}

static double Best(Action pass)
{
    double best = double.MaxValue;
    for (int r = 0; r < 12; r++)
    {
        double t0 = ThreadCpu.Seconds();
        pass();
        best = Math.Min(best, ThreadCpu.Seconds() - t0);
    }
    return best;
}

/// <summary>This thread's CPU time (on a shared machine wall time mostly measures the other work).</summary>
static unsafe class ThreadCpu
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID (Linux)

    [DllImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, long* timespec);

    public static double Seconds()
    {
        long* ts = stackalloc long[2];
        if (ClockGetTime(ClockThreadCpuTime, ts) != 0) throw new InvalidOperationException("clock_gettime failed");
        return ts[0] + ts[1] * 1e-9;
    }
}
