namespace Crayon.Backends;

/// <summary>
/// Turns a device request into the device that will run. Only "cpu" executes in this version; an
/// explicit request for anything else fails with NotSupportedException naming what is available.
/// </summary>
public static class DeviceSelector
{
    public static readonly IReadOnlyList<string> Devices = ["auto", "cpu", "cuda", "rocm"];

    public static string Select(string? requested)
    {
        string d = string.IsNullOrEmpty(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        switch (d)
        {
            case "auto":
            case "cpu":
                return "cpu"; // auto: the best backend that executes, which today is always the CPU
            case "cuda":
            case "rocm":
                var probe = BackendDetector.Probes.First(p => p.Name == d);
                string why = probe.Present
                    ? $"{d} is present ({probe.Detail}) but this version of Crayon only executes on the CPU"
                    : $"{d} is not available: {probe.Detail}";
                throw new NotSupportedException($"device '{d}': {why}; available: {Available()}");
            default:
                throw new ArgumentException($"unknown device '{requested}': use auto, cpu, cuda or rocm (available here: {Available()})");
        }
    }

    private static string Available()
    {
        var flags = BackendDetector.Flags;
        string cpu = "cpu";
        if (flags.HasFlag(BackendFlags.Avx512)) cpu += " (avx2, avx512)";
        else if (flags.HasFlag(BackendFlags.Avx2)) cpu += " (avx2)";
        return cpu;
    }
}
