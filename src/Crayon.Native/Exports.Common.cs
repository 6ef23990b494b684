using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Crayon.Native.Interop;

namespace Crayon.Native;

/// <summary>Library-wide exports: version and error reporting. Thread-safe.</summary>
internal static unsafe class CommonExports
{
    private static readonly byte* s_version = Utf8Constant(CrayonInfo.Version);

    [UnmanagedCallersOnly(EntryPoint = "crayon_version")]
    public static byte* Version() => s_version;

    [UnmanagedCallersOnly(EntryPoint = "crayon_last_error")]
    public static byte* LastErrorMessage()
    {
        byte* p = LastError.Pointer;
        return p != null ? p : s_empty;
    }

    [UnmanagedCallersOnly(EntryPoint = "crayon_last_status")]
    public static int LastStatus() => LastError.LastStatus;

    private static readonly byte* s_empty = Utf8Constant("");

    private static byte* Utf8Constant(string s)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        p[bytes.Length] = 0;
        return p;
    }
}
