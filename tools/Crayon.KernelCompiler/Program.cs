using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Crayon.KernelCompiler;

// Usage: Crayon.KernelCompiler <output directory>
// Writes <kernel>.ptx (NVIDIA, sm_60 and newer through the driver's JIT) and <kernel>.cl (OpenCL C 1.2)
// for each kernel in LongestMatchKernels; src/Crayon embeds them. Runs without any GPU or driver:
// the backends are constructed directly instead of through an accelerator.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Crayon.KernelCompiler <output directory>");
    return 2;
}
string outDir = Directory.CreateDirectory(args[0]).FullName;

using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
// sm_60 / PTX ISA 6.0: every data-centre GPU since Pascal loads it (the driver JIT-compiles PTX
// forward to newer architectures). No NVVM: ILGPU's own PTX generator is enough for integer code.
using var ptx = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_60),
                               CudaArchitecture.SM_60, CudaInstructionSet.ISA_60, null!);
// OpenCL C 1.2 without the generic address space: PoCL and NVIDIA's OpenCL lack it, and with the
// capability off ILGPU declares every kernel pointer __global, which every 1.2+ compiler accepts.
using var cl = new CLBackend(context,
                             new CLCapabilityContext(float16: false, float64: false, genericAddressSpace: false,
                                                     int64_Atomics: false, subGroups: false),
                             CLDeviceVendor.Other, CLCVersion.CL12);

foreach (MethodInfo kernel in typeof(LongestMatchKernels).GetMethods(BindingFlags.Public | BindingFlags.Static))
{
    var entry = EntryPointDescription.FromImplicitlyGroupedKernel(kernel);
    var specialization = new KernelSpecialization();
    int views = kernel.GetParameters().Length - 1;   // all but the index are ArrayView<T>
    string file = ToSnakeCase(kernel.Name);

    string ptxText = ((PTXCompiledKernel)ptx.Compile(entry, specialization)).PTXAssembly;
    CheckPtxLayout(kernel.Name, ptxText, views);
    WriteIfChanged(Path.Combine(outDir, file + ".ptx"), ptxText);

    string clText = ((CLCompiledKernel)cl.Compile(entry, specialization)).Source;
    CheckClLayout(kernel.Name, clText, views);
    WriteIfChanged(Path.Combine(outDir, file + ".cl"), clText);
    Console.WriteLine($"kernel {kernel.Name}: {views} views, PTX {ptxText.Length} chars, OpenCL C {clText.Length} chars");
}
return 0;

// The launchers (src/Crayon/Gpu) pass ILGPU's parameter layout; these checks stop the build when an
// ILGPU update changes it instead of letting a launch read garbage.
static void CheckPtxLayout(string name, string text, int views)
{
    // .entry Kernel_X( .param .b32 <length>, then per view .param .align 8 .b8 <name>[16] = { pointer, length }
    var m = Regex.Match(text, @"\.entry\s+Kernel_" + name + @"\(\s*\.param \.b32 \w+((?:,\s*\.param \.align 8 \.b8 \w+\[16\])*)\s*\)");
    int found = m.Success ? Regex.Matches(m.Groups[1].Value, @"\[16\]").Count : -1;
    if (found != views) throw new InvalidOperationException($"{name}: unexpected PTX parameter layout ({found} view parameters, expected {views})");
}

static void CheckClLayout(string name, string text, int views)
{
    if (Regex.IsMatch(text, @"\bgeneric\b|__generic")) throw new InvalidOperationException($"{name}: OpenCL C uses the generic address space");
    // kernel void Kernel_X(global T* view_0 .. view_{n-1}, int <length>, struct <S>_kernel var.. (n times: { int index; long length }))
    var m = Regex.Match(text, @"kernel void Kernel_" + name + @"\(([^)]*)\)");
    if (!m.Success) throw new InvalidOperationException($"{name}: no OpenCL entry point");
    string[] ps = m.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries);
    bool ok = ps.Length == 2 * views + 1;
    for (int i = 0; ok && i < views; i++) ok = Regex.IsMatch(ps[i], @"^global \w+\* view_" + i + "$");
    ok = ok && Regex.IsMatch(ps[views], @"^int \w+$");
    for (int i = views + 1; ok && i < ps.Length; i++)
    {
        var s = Regex.Match(ps[i], @"^struct (\w+_kernel) \w+$");
        ok = s.Success && Regex.IsMatch(text, @"struct " + s.Groups[1].Value + @"\s*\{\s*int field_0;\s*long field_1;\s*\};");
    }
    if (!ok) throw new InvalidOperationException($"{name}: unexpected OpenCL parameter layout: {m.Groups[1].Value}");
}

static void WriteIfChanged(string path, string text)
{
    if (File.Exists(path) && File.ReadAllText(path) == text) { File.SetLastWriteTimeUtc(path, DateTime.UtcNow); return; }
    File.WriteAllText(path, text);
}

static string ToSnakeCase(string name) => Regex.Replace(name, "(?<=[a-z])([A-Z])", "_$1").ToLowerInvariant();
