namespace Crayon.Native.Interop;

/// <summary>Status codes returned by every export; mirrored by the CRAYON_E_* constants in crayon.h.</summary>
internal static class Status
{
    public const int Ok = 0;
    public const int InvalidArgument = -1;   // null pointer, negative length, bad flag
    public const int Io = -2;                // file could not be opened or mapped
    public const int Format = -3;            // corrupt, truncated or wrong-version data
    public const int NotFound = -4;          // unknown profile / encoding name
    public const int UnknownId = -5;         // token id outside the vocabulary
    public const int Unsupported = -6;       // backend or feature not available here
    public const int DisallowedSpecial = -7; // special-token text found where it is not allowed
    public const int InvalidUtf8 = -8;       // input must be UTF-8 text and is not
    public const int Internal = -99;         // a bug: the message says what happened
}

/// <summary>Return-value helpers for buffer-filling exports (int64_t in C).</summary>
internal static class BufferResult
{
    /// <summary>CRAYON_FAILED: the call failed; details are in the thread's last error.</summary>
    public const long Failed = long.MinValue;

    /// <summary>The buffer was too small: report the capacity the call needs.</summary>
    public static long Needed(long capacity) => -capacity;

    /// <summary>Records the failure for crayon_last_error() and returns CRAYON_FAILED.</summary>
    public static long Fail(Exception e)
    {
        Guard.Fail(e);
        return Failed;
    }

    public static long Fail(int status, string message)
    {
        LastError.Set(status, message);
        return Failed;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into the caller's buffer: its length, <see cref="Needed"/> when
    /// <paramref name="cap"/> is too small, or InvalidArgument ("out is NULL") for a NULL buffer with something to write.
    /// </summary>
    public static unsafe long Copy<T>(ReadOnlySpan<T> source, T* output, nuint cap) where T : unmanaged
    {
        if ((ulong)cap < (ulong)source.Length) return Needed(source.Length);
        if (source.Length > 0 && output == null) return Fail(Status.InvalidArgument, "out is NULL");
        source.CopyTo(new Span<T>(output, source.Length));
        return source.Length;
    }
}
