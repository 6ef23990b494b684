using Crayon.Fuzz;
using SharpFuzz;

// Crayon.Fuzz TARGET                  run TARGET under libFuzzer (started by fuzz/driver/dotnet_bridge)
// Crayon.Fuzz replay TARGET PATH...   run every file (directories: every file inside) once; exit 1 on a failure
// Crayon.Fuzz replay-all DIR...       replay DIR/TARGET for every target (one process: make test)
// Crayon.Fuzz seed DIR                write the generated seed corpora into DIR/TARGET/
// Crayon.Fuzz list                    the target names
if (args.Length == 0) return Usage();
switch (args[0])
{
    case "list":
        foreach (IFuzzTarget t in Targets.All) Console.WriteLine(t.Name);
        return 0;
    case "seed" when args.Length == 2:
        return Seeds.Write(args[1]);
    case "replay" when args.Length >= 3:
        return Replay.Run(Targets.Find(args[1]), args[2..]);
    case "replay-all" when args.Length >= 2:
        return Targets.All.Aggregate(0, (status, t) =>
            Math.Max(status, Replay.Run(t, args[1..].Select(d => Path.Combine(d, t.Name)).Where(Directory.Exists))));
    default:
        if (args.Length != 1) return Usage();
        IFuzzTarget target = Targets.Find(args[0]);
        // An exception that escapes Run is a finding: SharpFuzz prints it and reports a crash.
        Fuzzer.LibFuzzer.Run(target.Run);
        return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Crayon.Fuzz TARGET | replay TARGET PATH... | replay-all DIR... | seed DIR | list");
    return 2;
}
