using System.Reflection;

namespace Crayon.Gpu;

/// <summary>
/// The kernel text embedded at build time (resources Crayon.Gpu.walk_chunks.cl, .ptx, ...; see
/// Crayon.csproj, target CompileGpuKernels). ILGPU names every entry point Kernel_&lt;method&gt;.
/// </summary>
internal static class GpuKernelText
{
    public static string FileName(GpuKernel k) => k switch
    {
        GpuKernel.WalkChunks => "walk_chunks",
        GpuKernel.Compact => "compact",
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static string EntryPoint(GpuKernel k) => "Kernel_" + k;

    /// <summary>The ArrayView parameters each kernel takes (after its Index1D).</summary>
    public static int ViewCount(GpuKernel k) => k switch
    {
        GpuKernel.WalkChunks => 14,
        GpuKernel.Compact => 5,
        _ => throw new ArgumentOutOfRangeException(nameof(k)),
    };

    public static string OpenCl(GpuKernel k) => Read(FileName(k) + ".cl");
    public static string Ptx(GpuKernel k) => Read(FileName(k) + ".ptx");

    private static string Read(string file)
    {
        using Stream? s = typeof(GpuKernelText).Assembly.GetManifestResourceStream("Crayon.Gpu." + file);
        if (s is null) throw new GpuException($"kernel {file} is not embedded in this build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
