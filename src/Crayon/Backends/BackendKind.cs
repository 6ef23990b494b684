namespace Crayon.Backends;

/// <summary>Backend bit flags, mirrored by CRAYON_BACKEND_* in crayon.h.</summary>
[Flags]
public enum BackendFlags : uint
{
    None = 0,
    Cpu = 1u << 0,
    Avx2 = 1u << 1,
    Avx512 = 1u << 2,
    Cuda = 1u << 3,
    Rocm = 1u << 4,
    OpenCl = 1u << 5,
}
