namespace Crayon.Fuzz;

/// <summary>Runs saved inputs (seed corpora, reproducers) through a target once each, without a fuzzer.</summary>
internal static class Replay
{
    public static int Run(IFuzzTarget target, IEnumerable<string> paths)
    {
        int files = 0, failures = 0;
        foreach (string path in paths)
        {
            IEnumerable<string> inputs = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                : [path];
            foreach (string file in inputs)
            {
                files++;
                try
                {
                    target.Run(File.ReadAllBytes(file));
                }
                catch (Exception e)
                {
                    failures++;
                    Console.Error.WriteLine($"FAIL {target.Name} {file}: {e}");
                }
            }
        }
        Console.WriteLine($"replay {target.Name}: {files} inputs, {failures} failures");
        return failures == 0 && files > 0 ? 0 : 1;
    }
}
