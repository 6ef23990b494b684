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

    /// <summary>An encoding built from the peer package's own ranks, pattern and specials.</summary>
    public static BpeEncoding Encoding(string name)
    {
        lock (s_loaded)
        {
            if (s_loaded.TryGetValue(name, out var e)) return e;
            string file = Path.Combine(Path.GetTempPath(), $"crayon-tests-{Environment.ProcessId}-{name}.tiktoken");
            string meta = Run("node", [Path.Combine(PeersDir, "tiktoken_ranks.js"), name, file], null);
            using var doc = JsonDocument.Parse(meta);
            string pattern = doc.RootElement.GetProperty("pat_str").GetString()!;
            var names = new List<string>();
            var ids = new List<int>();
            foreach (var p in doc.RootElement.GetProperty("special_tokens").EnumerateObject())
            {
                names.Add(p.Name);
                ids.Add(p.Value.GetInt32());
            }
            e = BpeEncoding.FromTiktokenFile(file, pattern, names, ids);
            File.Delete(file);
            s_loaded[name] = e;
            return e;
        }
    }

    /// <summary>tiktoken's ids for each document (mode "ordinary" or "all").</summary>
    public static int[][] TiktokenIds(string encoding, IReadOnlyList<string> docs, string mode = "ordinary")
    {
        var b64 = docs.Select(d => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(d))).ToArray();
        string request = JsonSerializer.Serialize(new Dictionary<string, object> { ["encoding"] = encoding, ["docs_b64"] = b64, ["mode"] = mode });
        string reply = Run("node", [Path.Combine(PeersDir, "tiktoken_encode.js")], request);
        using var doc = JsonDocument.Parse(reply);
        return doc.RootElement.GetProperty("ids").EnumerateArray()
            .Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
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
