using System.Runtime.InteropServices;
using System.Text.Json;
using Crayon.Native.Interop;
using Crayon.Tokenization;

namespace Crayon.Native;

/// <summary>The GPU section of crayon.h: what a vocab's device has done (benchmarks/gpu_bench.py reads it).</summary>
internal static unsafe class GpuExports
{
    [UnmanagedCallersOnly(EntryPoint = "crayon_device_stats")]
    public static long DeviceStats(nint vocab, byte* output, nuint cap)
    {
        try
        {
            Tokenizer tok = Handles.Get<Tokenizer>(vocab, "vocab");
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("device", tok.Device);
                if (tok.Gpu is { } gpu)
                {
                    var t = gpu.Totals;
                    w.WriteString("description", gpu.Device.Description);
                    w.WriteNumber("device_bytes", gpu.Device.LiveBytes);
                    w.WriteNumber("calls", t.Calls);
                    w.WriteNumber("pieces", t.Pieces);
                    w.WriteNumber("tokens", t.Tokens);
                    w.WriteNumber("rounds", t.Rounds);
                    w.WriteNumber("kernel_seconds", t.KernelSeconds);
                    w.WriteNumber("copy_seconds", t.CopySeconds);
                    w.WriteNumber("wall_seconds", t.WallSeconds);
                }
                w.WriteEndObject();
            }
            return Args.WriteString(ms.ToArray(), output, cap);
        }
        catch (Exception e) { return BufferResult.Fail(e); }
    }
}
