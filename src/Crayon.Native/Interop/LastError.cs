using System.Runtime.InteropServices;
using System.Text;

namespace Crayon.Native.Interop;

/// <summary>
/// The per-thread message behind crayon_last_error(). The library owns the bytes until the
/// same thread's next failing call replaces them.
/// </summary>
internal static unsafe class LastError
{
    [ThreadStatic] private static byte* s_message;
    [ThreadStatic] private static int s_capacity;
    [ThreadStatic] private static int s_status;

    public static byte* Pointer => s_message;
    public static int LastStatus => s_status;

    public static int Set(int status, string message)
    {
        int needed = Encoding.UTF8.GetMaxByteCount(message.Length) + 1;
        if (s_capacity < needed)
        {
            NativeMemory.Free(s_message);
            s_message = (byte*)NativeMemory.Alloc((nuint)needed);
            s_capacity = needed;
        }
        int written = Encoding.UTF8.GetBytes(message, new Span<byte>(s_message, s_capacity - 1));
        s_message[written] = 0;
        s_status = status;
        return status;
    }
}
