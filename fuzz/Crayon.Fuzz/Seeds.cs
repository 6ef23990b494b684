namespace Crayon.Fuzz;

/// <summary>Writes each target's generated seeds (fuzz/corpus/TARGET/seed-*); committed, then grown by fuzzing.</summary>
internal static class Seeds
{
    public static int Write(string dir)
    {
        foreach (IFuzzTarget t in Targets.All)
        {
            string sub = Path.Combine(dir, t.Name);
            Directory.CreateDirectory(sub);
            int n = 0;
            foreach (var (name, data) in t.Seeds())
            {
                File.WriteAllBytes(Path.Combine(sub, "seed-" + name), data);
                n++;
            }
            Console.WriteLine($"{t.Name}: {n} seeds");
        }
        return 0;
    }
}
