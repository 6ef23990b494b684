using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Crayon.Gpu;

namespace Crayon.Tests.Gpu;

/// <summary>
/// The CUDA path without a GPU: the embedded PTX is there and declares what the launcher passes, the
/// parameter block matches ILGPU's layout, and a missing driver is a clean error. (With an NVIDIA GPU,
/// benchmarks/gpu_bench.py checks ids against the CPU.)
/// </summary>
public unsafe class CudaLauncherTests
{
    [Theory]
    [InlineData("WalkChunks")]
    [InlineData("Compact")]
    public void Embedded_ptx_is_well_formed_and_declares_the_launchers_parameter_layout(string name)
    {
        var kernel = Enum.Parse<GpuKernel>(name);
        string ptx = GpuKernelText.Ptx(kernel);
        Assert.Matches(@"(?m)^\.version \d+\.\d+$", ptx);
        Assert.Matches(@"(?m)^\.target sm_\d+$", ptx);
        Assert.Matches(@"(?m)^\.address_size 64$", ptx);
        Assert.Equal(ptx.Count(c => c == '{'), ptx.Count(c => c == '}'));
        var entry = Regex.Match(ptx, @"\.visible \.entry (\w+)\(([^)]*)\)");
        Assert.True(entry.Success);
        Assert.Equal(GpuKernelText.EntryPoint(kernel), entry.Groups[1].Value);
        string[] ps = entry.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries);
        Assert.Equal(1 + GpuKernelText.ViewCount(kernel), ps.Length);
        Assert.Matches(@"^\.param \.b32 \w+$", ps[0]);   // the index range: an int, as PackParameters passes it
        foreach (string p in ps.Skip(1))
            Assert.Matches(@"^\.param \.align 8 \.b8 \w+\[16\]$", p);   // a view: 16 bytes, 8-aligned
        Assert.Equal(16, Marshal.SizeOf<CudaDevice.PtxView>());
        Assert.Equal(8, (int)Marshal.OffsetOf<CudaDevice.PtxView>(nameof(CudaDevice.PtxView.Length)));
    }

    [Fact]
    public void Packed_parameters_point_at_the_range_then_each_view_as_pointer_and_length()
    {
        var a = new GpuBuffer((nint)0x7000_0000_1000, 4096);
        var b = new GpuBuffer((nint)0x7000_0000_9000, 64);
        GpuView[] views = [new(a, 1024), new(b, 3)];
        int range = 12345;
        var packed = new CudaDevice.PtxView[2];
        var pointers = new nint[3];
        fixed (CudaDevice.PtxView* pv = packed)
        fixed (nint* pp = pointers)
        {
            CudaDevice.PackParameters(&range, views, pv, pp);
            Assert.Equal(12345, *(int*)pp[0]);
            for (int i = 0; i < 2; i++)
            {
                byte* p = (byte*)pp[1 + i];
                Assert.Equal((ulong)views[i].Buffer.Handle, *(ulong*)p);
                Assert.Equal(views[i].Length, *(long*)(p + 8));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => PackOne(new(a, -1)));
    }

    private static void PackOne(GpuView view)
    {
        int range = 1;
        CudaDevice.PtxView packed;
        nint* pointers = stackalloc nint[2];
        CudaDevice.PackParameters(&range, [view], &packed, pointers);
    }

    [Fact]
    public void OpenCl_view_descriptor_is_ilgpus_int_index_then_long_length()
    {
        Assert.Equal(16, sizeof(OpenClDevice.ViewParameter));
        Assert.Equal(8, (int)Marshal.OffsetOf<OpenClDevice.ViewParameter>(nameof(OpenClDevice.ViewParameter.Length)));
        string cl = GpuKernelText.OpenCl(GpuKernel.WalkChunks);
        Assert.Matches(@"struct \w+_kernel\s*\{\s*int field_0;\s*long field_1;\s*\}", cl);
        Assert.DoesNotMatch(@"\bgeneric\b", cl);   // PoCL and NVIDIA's OpenCL have no generic address space
    }

    [Fact]
    public void A_missing_driver_is_a_clean_error_naming_the_library()
    {
        string saved = CudaDevice.Api.LibraryName;
        try
        {
            CudaDevice.Api.LibraryName = "libcuda-crayon-test-absent.so.1";
            var e = Assert.Throws<GpuException>(() => CudaDevice.Open());
            Assert.Contains("libcuda-crayon-test-absent.so.1 not found", e.Message);
            Assert.IsAssignableFrom<NotSupportedException>(e);   // CRAYON_E_UNSUPPORTED at the C boundary
        }
        finally
        {
            CudaDevice.Api.LibraryName = saved;
        }
    }

    [Fact]
    public void Without_libcuda_the_cuda_device_is_refused_and_the_report_says_why()
    {
        if (NativeLibrary.TryLoad("libcuda.so.1", out _)) return;   // a driver is installed: covered by gpu_bench.py
        Assert.False(GpuDevices.TryOpen("cuda", out _, out string why));
        Assert.Contains("libcuda.so.1 not found", why);
        Assert.Contains("cuda\tno\tlibcuda.so.1 not found", Crayon.Backends.BackendDetector.Report());
    }
}
