using System.Runtime.InteropServices;
using System.Text;

namespace Crayon.Native.Interop;

/// <summary>
/// Reads the C arguments every export section shares (NUL-terminated UTF-8 strings, pointer+length
/// byte ranges, arrays of them) and writes NUL-terminated strings to caller buffers. Bad arguments
/// throw <see cref="CrayonException"/> with the status C callers see; <see cref="Guard"/> reports it.
/// </summary>
internal static unsafe class Args
{
    /// <summary>A NUL-terminated UTF-8 string; NULL is CRAYON_E_INVALID_ARGUMENT, invalid UTF-8 is CRAYON_E_INVALID_UTF8.</summary>
    public static string Utf8String(byte* s, string what)
    {
        if (s == null) throw new CrayonException(Status.InvalidArgument, $"{what} is NULL");
        var span = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s);
        if (!System.Text.Unicode.Utf8.IsValid(span)) throw new CrayonException(Status.InvalidUtf8, $"{what} is not valid UTF-8");
        return Encoding.UTF8.GetString(span);
    }

    /// <summary>Like <see cref="Utf8String"/>, but NULL means "" (optional metadata such as a name).</summary>
    public static string Utf8StringOrEmpty(byte* s, string what) => s == null ? "" : Utf8String(s, what);

    /// <summary>The caller's bytes in place; NULL is allowed only with length 0; at most 2^31 - 1 bytes.</summary>
    public static ReadOnlySpan<byte> Bytes(byte* p, nuint len, string what)
    {
        if (len == 0) return default;
        if (p == null) throw new CrayonException(Status.InvalidArgument, $"{what} is NULL but its length is {len}");
        if (len > int.MaxValue) throw new CrayonException(Status.InvalidArgument, $"{what} is too long ({len} bytes; at most 2^31 - 1 per call)");
        return new ReadOnlySpan<byte>(p, (int)len);
    }

    /// <summary>The caller's ids in place; NULL is allowed only with n 0; at most 2^31 - 1 ids.</summary>
    public static ReadOnlySpan<int> Ids(int* ids, nuint n, string what)
    {
        if (n > int.MaxValue) throw new CrayonException(Status.InvalidArgument, $"too many {what} ({n}; at most 2^31 - 1 per call)");
        if (ids == null && n > 0) throw new CrayonException(Status.InvalidArgument, $"{what} is NULL but n is {n}");
        return new ReadOnlySpan<int>(ids, (int)n);
    }

    /// <summary>The caller's output buffer (at most 2^31 - 1 items); NULL is allowed only with cap 0.</summary>
    public static Span<T> Output<T>(T* output, nuint cap) where T : unmanaged
    {
        if (output == null && cap > 0) throw new CrayonException(Status.InvalidArgument, "out is NULL but cap is not 0");
        return new Span<T>(output, (int)Math.Min(cap, (nuint)int.MaxValue));
    }

    /// <summary>Checks an array of n byte ranges (items[i], lens[i]) without copying it.</summary>
    public static int CheckArrays(byte** items, nuint* lens, nuint n, string what)
    {
        if (n == 0) return 0;
        if (items == null || lens == null) throw new CrayonException(Status.InvalidArgument, $"{what} or lens is NULL");
        if (n > int.MaxValue) throw new CrayonException(Status.InvalidArgument, $"too many {what}");
        for (int i = 0; i < (int)n; i++) Bytes(items[i], lens[i], $"{what}[{i}]");
        return (int)n;
    }

    /// <summary>Copies an array of n byte ranges (a NULL item with length 0 is empty).</summary>
    public static byte[][] CopyArrays(byte** items, nuint* lens, nuint n, string what)
    {
        int count = CheckArrays(items, lens, n, what);
        var list = new byte[count][];
        for (int i = 0; i < count; i++) list[i] = Bytes(items[i], lens[i], $"{what}[{i}]").ToArray();
        return list;
    }

    /// <summary>An array of n NUL-terminated UTF-8 strings (NULL list allowed only when n is 0).</summary>
    public static string[] Strings(byte** list, nuint n, string what)
    {
        if (n == 0) return [];
        if (list == null) throw new CrayonException(Status.InvalidArgument, $"{what} is NULL but n_{what} is {n}");
        if (n > 1_000_000) throw new CrayonException(Status.InvalidArgument, $"n_{what} is too large");
        var names = new string[(int)n];
        for (int i = 0; i < (int)n; i++) names[i] = Utf8String(list[i], $"{what}[{i}]");
        return names;
    }

    /// <summary>Writes s NUL-terminated; returns its byte length, or minus the capacity needed (NUL included).</summary>
    public static long WriteString(string s, byte* output, nuint cap) => WriteString(Encoding.UTF8.GetBytes(s), output, cap);

    /// <summary>Writes UTF-8 bytes NUL-terminated; returns their length, or minus the capacity needed (NUL included).</summary>
    public static long WriteString(ReadOnlySpan<byte> bytes, byte* output, nuint cap)
    {
        long needed = bytes.Length + 1;
        if ((ulong)cap < (ulong)needed) return BufferResult.Needed(needed);
        if (output == null) return BufferResult.Fail(Status.InvalidArgument, "out is NULL with a non-zero cap");
        bytes.CopyTo(new Span<byte>(output, bytes.Length));
        output[bytes.Length] = 0;
        return bytes.Length;
    }
}
