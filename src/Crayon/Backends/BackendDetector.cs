using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Crayon.Backends;

/// <summary>
/// What this machine really runs. CPU features: those the loaded engine code uses; a GPU backend
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
        new("cpu", true, $"{Environment.ProcessorCount} logical cores, {RuntimeInformation.ProcessArchitecture}; {CodeLevel()}"),
        ProbeCpuFeature("avx2", Avx2.IsSupported, ebxBit: 5),
        ProbeCpuFeature("avx512", Avx512F.IsSupported && Avx512BW.IsSupported, ebxBit: 16),
        ProbeGpu("cuda"),
        ProbeGpu("rocm"),
        ProbeGpu("opencl"),
    ];

    /// <summary>The run-time cap the dispatcher libcrayon.so reads (src/dispatch/dispatch.c).</summary>
    public const string IsaVariable = "CRAYON_ISA";

    private static readonly string[] s_levels = ["x86-64", "x86-64-v3", "x86-64-v4"];

    /// <summary>
    /// The x86-64 level the running engine code was compiled for. Under NativeAOT, IsSupported of AVX2
    /// and AVX-512 is a compile-time constant of the build (libcrayon-&lt;level&gt;.so, which the dispatcher
    /// libcrayon.so picks for the CPU), so this is what the loaded code uses; under the JIT (tests, the
    /// NuGet package) it is what the JIT uses on this CPU.
    /// </summary>
    public static string IsaLevel =>
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx512CD.IsSupported && Avx512DQ.IsSupported ? "x86-64-v4"
        : Avx2.IsSupported && Bmi2.IsSupported && Fma.IsSupported ? "x86-64-v3"
        : "x86-64";

    private static string CodeLevel()
    {
        if (!X86Base.IsSupported) return "engine code for the architecture's baseline";
        int bits = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;
        string level = $"engine code for {IsaLevel} ({bits}-bit vectors)";
        string? cap = Environment.GetEnvironmentVariable(IsaVariable);
        if (string.IsNullOrEmpty(cap) || cap == "auto") return level;
        return Array.IndexOf(s_levels, cap) >= 0
            ? $"{level}, {IsaVariable}={cap}"
            : $"{level}; {IsaVariable}={cap} is not a level ({string.Join(", ", s_levels)}) and was ignored";
    }

    /// <summary>
    /// A CPU feature is reported present when the running engine code uses it (see <see cref="IsaLevel"/>).
    /// When it does not, the detail says whether the CPU has it (CPUID leaf 7, EBX, with the OS saving the
    /// wider registers: OSXSAVE) and so why it is unused: a CRAYON_ISA cap, or an older engine build.
    /// </summary>
    private static Probe ProbeCpuFeature(string name, bool used, int ebxBit)
    {
        if (used) return new(name, true, $"used: the engine code is the {IsaLevel} build");
        if (!X86Base.IsSupported) return new(name, false, $"not an x86 CPU ({RuntimeInformation.ProcessArchitecture})");
        var (_, _, ecx1, _) = X86Base.CpuId(1, 0);
        bool osxsave = (ecx1 & (1 << 27)) != 0;
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        bool cpu = maxLeaf >= 7 && (X86Base.CpuId(7, 0).Ebx & (1 << ebxBit)) != 0;
        string? cap = Environment.GetEnvironmentVariable(IsaVariable);
        if (cpu && osxsave)
            return new(name, false, string.IsNullOrEmpty(cap)
                ? $"the CPU has it; not used: the engine code loaded is the {IsaLevel} build"
                : $"the CPU has it; not used: {IsaVariable}={cap} chose the {IsaLevel} build");
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
