namespace Crayon.Gpu;

/// <summary>
/// The GPU devices this process has opened, one per backend, opened on first use and kept for the
/// process's life (building the kernels costs a driver compile; a CUDA context is per process anyway).
/// A device that failed to open is remembered with its reason, so asking again is cheap and says why.
/// </summary>
internal static class GpuDevices
{
    public static readonly string[] Backends = ["cuda", "rocm", "opencl"];

    private static readonly Dictionary<string, (GpuDevice? Device, string Why)> s_opened = [];

    /// <summary>The device for "cuda", "rocm" or "opencl"; throws GpuException (a NotSupportedException) saying why not.</summary>
    public static GpuDevice Open(string backend) =>
        TryOpen(backend, out GpuDevice? d, out string why) ? d! : throw new GpuException($"device '{backend}' is not available: {why}");

    public static bool TryOpen(string backend, out GpuDevice? device, out string why)
    {
        lock (s_opened)
        {
            if (!s_opened.TryGetValue(backend, out var entry))
            {
                try
                {
                    GpuDevice d = backend switch
                    {
                        "cuda" => CudaDevice.Open(),
                        "rocm" or "opencl" => OpenClDevice.Open(backend),
                        _ => throw new ArgumentException($"unknown GPU backend '{backend}'"),
                    };
                    entry = (d, "");
                }
                catch (GpuException e) { entry = (null, e.Message); }
                catch (DllNotFoundException e) { entry = (null, e.Message); }
                catch (EntryPointNotFoundException e) { entry = (null, e.Message); }
                s_opened[backend] = entry;
            }
            device = entry.Device;
            why = entry.Why;
            return device is not null;
        }
    }
}
