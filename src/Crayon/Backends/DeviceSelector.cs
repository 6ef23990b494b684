using Crayon.Gpu;

namespace Crayon.Backends;

/// <summary>
/// Turns a device request into the device that will run.
/// "cpu": the CPU. "cuda", "rocm", "opencl": that GPU backend, or NotSupportedException naming why not
/// and what is available. "auto": the CPU until the tokenizer's first batch of at least
/// <see cref="AutoGpuMinBatchBytes"/> bytes; then the first of CUDA, ROCm, an OpenCL GPU that opens
/// (never an OpenCL CPU device such as PoCL), else the CPU; batches that large go to that GPU, and the
/// tokenizer falls back to the CPU if the GPU fails.
/// </summary>
public static class DeviceSelector
{
    public static readonly IReadOnlyList<string> Devices = ["auto", "cpu", "cuda", "rocm", "opencl"];

    /// <summary>
    /// Below this a batch stays on the CPU under "auto": the copies to and from the device and a few
    /// launches cost about as much as the CPU's all-core walk of a few MiB. A guess from the link speed
    /// (~10 GB/s over 5 bytes moved per text byte) against the CPU's ~0.5–1 GB/s; not yet measured on a GPU.
    /// </summary>
    public const long AutoGpuMinBatchBytes = 4L << 20;

    public static string Select(string? requested) => Resolve(requested).Name;

    internal readonly record struct Choice(string Name, GpuDevice? Gpu, bool Auto);

    internal static Choice Resolve(string? requested)
    {
        string d = string.IsNullOrEmpty(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        switch (d)
        {
            case "cpu":
                return new("cpu", null, false);
            case "auto":
                // No probing here: opening the drivers costs time and memory (with PoCL installed, 0.5 s
                // and 60 MB), which a tokenizer that never sees a large batch should not pay.
                // The tokenizer calls ProbeAuto on its first batch of AutoGpuMinBatchBytes or more.
                return new("cpu", null, true);
            case "cuda":
            case "rocm":
            case "opencl":
                if (GpuDevices.TryOpen(d, out GpuDevice? device, out string why)) return new(d, device, false);
                throw new NotSupportedException($"device '{d}' is not available: {why}; available: {Available()}");
            default:
                throw new ArgumentException($"unknown device '{requested}': use auto, cpu, cuda, rocm or opencl (available here: {Available()})");
        }
    }

    /// <summary>What "auto" runs on: the first of CUDA, ROCm, an OpenCL GPU that opens, else the CPU.</summary>
    internal static Choice ProbeAuto()
    {
        foreach (string backend in GpuDevices.Backends)
        {
            if (backend == "opencl" && !OpenClDevice.HasGpu()) continue;   // PoCL & co. are CPUs: the CPU path is faster
            if (GpuDevices.TryOpen(backend, out GpuDevice? gpu, out _) && gpu!.IsGpu) return new(backend, gpu, true);
        }
        return new("cpu", null, true);
    }

    private static string Available()
    {
        var flags = BackendDetector.Flags;
        string cpu = "cpu";
        if (flags.HasFlag(BackendFlags.Avx512)) cpu += " (avx2, avx512)";
        else if (flags.HasFlag(BackendFlags.Avx2)) cpu += " (avx2)";
        foreach (string backend in GpuDevices.Backends)
            if (GpuDevices.TryOpen(backend, out _, out _)) cpu += ", " + backend;
        return cpu;
    }
}
