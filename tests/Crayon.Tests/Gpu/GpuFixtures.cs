using System.Text;
using System.Text.Json;
using Crayon.Dat;
using Crayon.Gpu;
using Crayon.Normalization;
using Crayon.Profiles;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Gpu;

/// <summary>Runs only where an OpenCL device opens (PoCL in `make test`); otherwise reported as skipped, with the reason.</summary>
public sealed class OpenClFactAttribute : FactAttribute
{
    public OpenClFactAttribute()
    {
        if (!GpuDevices.TryOpen("opencl", out _, out string why)) Skip = "no OpenCL device: " + why;
    }
}

/// <summary>The OpenCL tests share one device and check its memory use, so they run one class at a time.</summary>
[CollectionDefinition("opencl", DisableParallelization = true)]
public sealed class OpenClCollection;

internal static unsafe class GpuFixtures
{
    public static string RepoRoot
    {
        get
        {
            string? d = AppContext.BaseDirectory;
            while (d is not null && !File.Exists(Path.Combine(d, "include", "crayon.h"))) d = Path.GetDirectoryName(d);
            return d ?? throw new DirectoryNotFoundException("repository root (include/crayon.h) not found");
        }
    }

    /// <summary>A bundled profile, built from its committed vocabulary list (profiles/NAME.json).</summary>
    public static Profile Bundled(string name)
    {
        string dir = Path.Combine(RepoRoot, "profiles");
        // Entries are strings, or {"bytes": base64} for tokens that are part of a character (profiles/build.py).
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, name + ".json")));
        var tokens = json.RootElement.EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(e.GetString()!) : e.GetProperty("bytes").GetBytesFromBase64())
            .ToList();
        var norm = TextNormalization.None;
        string meta = Path.Combine(dir, name + ".meta.json");
        if (File.Exists(meta) && File.ReadAllText(meta).Contains("\"nfc\"", StringComparison.OrdinalIgnoreCase)) norm = TextNormalization.Nfc;
        return Profile.FromBytes(DatWriter.Build(tokens, name, "tests", norm));
    }

    /// <summary>
    /// count documents cycling through empty, 1–3 random bytes, random bytes and text over "abé " (the
    /// alphabet of the tests' random vocabularies), with one large text document in the middle.
    /// </summary>
    public static List<byte[]> MixedDocuments(int seed, int count, int largeBytes)
    {
        var rng = new Random(seed);
        var docs = new List<byte[]>();
        for (int i = 0; i < count; i++)
            docs.Add((i % 4) switch
            {
                0 => [],
                1 => EngineFixtures.RandomBytes(rng, rng.Next(1, 4)),
                2 => EngineFixtures.RandomBytes(rng, rng.Next(1, 600)),
                _ => AlphabetText(rng, rng.Next(1, 400)),
            });
        docs.Insert(count / 2, AlphabetText(rng, largeBytes / 2));
        return docs;
    }

    private static byte[] AlphabetText(Random rng, int chars) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, chars).Select(_ => "ab\u00e9 "[rng.Next(4)])));

    /// <summary>Real text: this repository's own sources and docs.</summary>
    public static List<byte[]> RealDocuments(int max = 200)
    {
        var docs = new List<byte[]>();
        foreach (string pattern in new[] { "*.cs", "*.md", "*.py", "*.h" })
            foreach (string f in Directory.EnumerateFiles(RepoRoot, pattern, SearchOption.AllDirectories).Order())
            {
                if (f.Contains("/bin/") || f.Contains("/obj/") || f.Contains("node_modules") || f.Contains("/build/") || f.Contains("/.venv/")) continue;
                docs.Add(File.ReadAllBytes(f));
                if (docs.Count >= max) return docs;
            }
        return docs;
    }

    /// <summary>Ids and offsets of a batch, through tokenizer's device path (GPU or CPU).</summary>
    public static (int[] Ids, long[] Offsets) Batch(Tokenizer tok, IReadOnlyList<byte[]> docs)
    {
        var handles = docs.Select(d => System.Runtime.InteropServices.GCHandle.Alloc(d, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            nint[] ptrs = handles.Select((h, i) => docs[i].Length == 0 ? 0 : h.AddrOfPinnedObject()).ToArray();
            long[] lens = docs.Select(d => (long)d.Length).ToArray();
            long total = lens.Sum() * 3 + 1;
            var ids = new int[total];
            var offsets = new long[docs.Count + 1];
            long n;
            fixed (int* o = ids)
            fixed (long* off = offsets)
                n = tok.TokenizeBatch(ptrs, lens, o, ids.Length, off, threads: 2);
            Assert.True(n >= 0, $"batch returned {n}");
            return (ids.AsSpan(0, (int)n).ToArray(), offsets);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }
}
