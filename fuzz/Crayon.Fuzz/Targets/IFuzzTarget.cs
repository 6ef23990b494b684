namespace Crayon.Fuzz;

/// <summary>
/// One fuzz target: Run takes any bytes and returns normally when every invariant held. A broken
/// invariant is a <see cref="FuzzFailure"/>; any other exception that escapes is a finding too
/// (only the documented error of each entry point is caught, inside the target).
/// </summary>
internal interface IFuzzTarget
{
    string Name { get; }

    void Run(ReadOnlySpan<byte> input);

    /// <summary>Inputs that reach the interesting paths from the start (fuzz/corpus/NAME/).</summary>
    IEnumerable<(string Name, byte[] Data)> Seeds();
}

/// <summary>An invariant the engine broke (a round trip, an oracle disagreeing, an error of the wrong kind).</summary>
internal sealed class FuzzFailure(string message) : Exception(message)
{
    public static void Check(bool condition, string message)
    {
        if (!condition) throw new FuzzFailure(message);
    }

    public static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 64 ? Convert.ToHexString(bytes) : Convert.ToHexString(bytes[..64]) + $"... ({bytes.Length} bytes)";
}

internal static class Targets
{
    public static readonly IFuzzTarget[] All =
    [
        new DatTarget(),
        new TiktokenTarget(),
        new BpeTarget(),
        new PreTokenizeTarget(),
        new TrainerTarget(),
        new DecodeTarget(),
    ];

    public static IFuzzTarget Find(string name) =>
        Array.Find(All, t => t.Name == name)
        ?? throw new ArgumentException($"unknown fuzz target '{name}' (known: {string.Join(", ", All.Select(t => t.Name))})");
}
