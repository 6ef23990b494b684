using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Crayon.Backends;

/// <summary>
/// What this machine really has. CPU features come from the runtime's intrinsics support; a GPU backend
/// counts only when its device opens and the embedded kernels load on it (cuda: libcuda.so.1 and
/// cuModuleLoadData; rocm: an AMD GPU on an OpenCL platform; opencl: any OpenCL device). Probed once, then cached.
/// </summary>
public static unsafe class BackendDetector
{
    public sealed record Probe(string Name, bool Present, string Detail);

    private static readonly Lazy<IReadOnlyList<Probe>> s_probes = new(Detect, LazyThreadSafetyMode.ExecutionAndPublication);

    public static IReadOnlyList<Probe> Probes => s_probes.Value;

    public static BackendFlags Flags
    {
        get
        {
            BackendFlags f = BackendFlags.None;
            foreach (Probe p in Probes)
                if (p.Present) f |= p.Name switch
                {
                    "cpu" => BackendFlags.Cpu, "avx2" => BackendFlags.Avx2, "avx512" => BackendFlags.Avx512,
                    "cuda" => BackendFlags.Cuda, "rocm" => BackendFlags.Rocm, "opencl" => BackendFlags.OpenCl,
                    _ => BackendFlags.None,
                };
            return f;
        }
    }

    /// <summary>"name\tyes|no\tdetail" lines (crayon_backend_report).</summary>
    public static string Report()
    {
        var sb = new StringBuilder();
        foreach (Probe p in Probes) sb.Append(p.Name).Append('\t').Append(p.Present ? "yes" : "no").Append('\t').Append(p.Detail).Append('\n');
        return sb.ToString();
    }

    private static IReadOnlyList<Probe> Detect() =>
    [
        new("cpu", true, $"{Environment.ProcessorCount} logical cores, {RuntimeInformation.ProcessArchitecture}"),
        ProbeCpuFeature("avx2", Avx2.IsSupported, ebxBit: 5),
        ProbeCpuFeature("avx512", Avx512F.IsSupported, ebxBit: 16),
        ProbeGpu("cuda"),
        ProbeGpu("rocm"),
        ProbeGpu("opencl"),
    ];

    /// <summary>
    /// A CPU feature is present when the runtime reports it, or when CPUID (leaf 7, EBX) has it and the
    /// OS saves the wider registers (OSXSAVE). The second path matters for the NativeAOT library, which is
    /// compiled for the x64 baseline and so answers IsSupported = false for AVX2 even on CPUs that have it.
    /// </summary>
    private static Probe ProbeCpuFeature(string name, bool runtimeSupported, int ebxBit)
    {
        if (runtimeSupported) return new(name, true, "used by the runtime");
        if (!X86Base.IsSupported) return new(name, false, $"not an x86 CPU ({RuntimeInformation.ProcessArchitecture})");
        var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
        bool osxsave = (ecx1 & (1 << 27)) != 0;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        bool cpu = maxLeaf >= 7 && (X86Base.CpuId(7, 0).Ebx & (1 << ebxBit)) != 0;
        if (cpu && osxsave) return new(name, true, "CPUID; this build's longest-match loop is scalar and does not need it");
        return new(name, false, cpu ? "CPU has it but the OS does not enable XSAVE" : "not supported by this CPU");
    }

    /// <summary>
    /// A GPU backend is present when its device opens and its kernels build (see GpuDevices): the
    /// detail is then the device's name, memory and driver version, else the reason it did not open.
    /// </summary>
    private static Probe ProbeGpu(string backend) =>
        Gpu.GpuDevices.TryOpen(backend, out Gpu.GpuDevice? d, out string why)
            ? new(backend, true, d!.Description + (d.IsGpu ? "" : " (an OpenCL CPU device: it runs, the CPU backend is faster)"))
            : new(backend, false, why);
}
