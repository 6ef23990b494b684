using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Crayon.Bpe;

namespace Crayon.Tests.Bpe;

/// <summary>
/// The npm tiktoken peer (tests/peers) and the shared corpus (tests/corpus.py), reached through
/// node and python3. <see cref="Available"/> is false when `make peers` has not run; tests then
/// return early (and say so on the console) instead of failing.
/// </summary>
internal static class Peers
{
    public static readonly string Root = FindRoot();
    private static readonly string PeersDir = Path.Combine(Root, "tests", "peers");
    private static readonly Dictionary<string, BpeEncoding> s_loaded = new();

    public static bool Available => File.Exists(Path.Combine(PeersDir, "node_modules", "tiktoken", "package.json"));

    private static string FindRoot()
    {
        string? d = AppContext.BaseDirectory;
        while (d != null && !File.Exists(Path.Combine(d, "tests", "corpus.py"))) d = Path.GetDirectoryName(d);
        return d ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    /// <summary>An encoding built from the peer package's own ranks, pattern and specials
    /// (written by tests/peers/export_tiktoken.py, the project's one rank-file writer).</summary>
    public static BpeEncoding Encoding(string name)
    {
        lock (s_loaded)
        {
            if (s_loaded.TryGetValue(name, out var e)) return e;
            string dir = Directory.CreateTempSubdirectory("crayon-tests-").FullName;
            try
            {
                string meta = Run("python3", [Path.Combine(PeersDir, "export_tiktoken.py"), "--json", dir, name], null);
                using var doc = JsonDocument.Parse(meta);
                JsonElement spec = doc.RootElement.GetProperty(name);
                string pattern = spec.GetProperty("pat_str").GetString()!;
                var names = new List<string>();
                var ids = new List<int>();
                foreach (var p in spec.GetProperty("special_tokens").EnumerateObject())
                {
                    names.Add(p.Name);
                    ids.Add(p.Value.GetInt32());
                }
                e = BpeEncoding.FromTiktokenFile(spec.GetProperty("path").GetString()!, pattern, names, ids);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
            s_loaded[name] = e;
            return e;
        }
    }

    /// <summary>tiktoken's ids for each document (mode "ordinary" or "all"), by tests/peers/encode_docs.js
    /// (docs.bin in: u32 n, then u32 length + UTF-8 per document; ids.bin out: u32 count + ids per document).</summary>
    public static int[][] TiktokenIds(string encoding, IReadOnlyList<string> docs, string mode = "ordinary")
    {
        string dir = Directory.CreateTempSubdirectory("crayon-tests-").FullName;
        try
        {
            string docsPath = Path.Combine(dir, "docs.bin"), idsPath = Path.Combine(dir, "ids.bin");
            using (var w = new BinaryWriter(File.Create(docsPath)))
            {
                w.Write((uint)docs.Count);
                foreach (string d in docs)
                {
                    byte[] b = System.Text.Encoding.UTF8.GetBytes(d);
                    w.Write((uint)b.Length);
                    w.Write(b);
                }
            }
            Run("node", [Path.Combine(PeersDir, "encode_docs.js"), "--peer", "tiktoken", "--encoding", encoding,
                         "--mode", mode, "--in", docsPath, "--out", idsPath], null);
            using var r = new BinaryReader(File.OpenRead(idsPath));
            var result = new int[docs.Count][];
            for (int i = 0; i < result.Length; i++)
            {
                var ids = new int[r.ReadUInt32()];
                for (int k = 0; k < ids.Length; k++) ids[k] = (int)r.ReadUInt32();
                result[i] = ids;
            }
            return result;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Documents from tests/corpus.py.</summary>
    public static List<string> Corpus(string kind, int maxBytes)
    {
        string script = "import sys, json; sys.path.insert(0, 'tests'); import corpus; "
                      + $"sys.stdout.write(json.dumps(corpus.documents('{kind}', {maxBytes})))";
        string reply = Run("python3", ["-c", script], null);
        return JsonSerializer.Deserialize<List<string>>(reply)!;
    }

    private static string Run(string exe, string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(exe)
        {
            WorkingDirectory = Root,
            RedirectStandardInput = stdin != null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin != null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}
