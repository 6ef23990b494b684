using Crayon.Dat;
using Crayon.PreTokenize;

namespace Crayon.Native.Interop;

/// <summary>
/// Maps exceptions thrown by the engine to status codes so nothing ever crosses the C boundary:
/// the one mapping for every export section.
/// Every export body is wrapped as: <c>try { ... } catch (Exception e) { return Guard.Fail(e); }</c>
/// (int64 returns: <c>return BufferResult.Fail(e);</c>).
/// </summary>
internal static class Guard
{
    public static int Fail(Exception e) => e switch
    {
        CrayonException ce => LastError.Set(ce.Status, ce.Message),
        // Engine exceptions first: some derive from ArgumentException.
        InvalidUtf8Exception => LastError.Set(Status.InvalidUtf8, e.Message),
        Crayon.Bpe.DisallowedSpecialException => LastError.Set(Status.DisallowedSpecial, e.Message),
        DatFormatException => LastError.Set(Status.Format, e.Message),
        Crayon.Tokenization.UnknownTokenIdException or Crayon.Bpe.UnknownTokenIdException
            => LastError.Set(Status.UnknownId, e.Message),
        OperationCanceledException => LastError.Set(Status.InvalidArgument, "cancelled"),
        // The call is not valid in the object's current state (e.g. no profile loaded): a caller error.
        InvalidOperationException => LastError.Set(Status.InvalidArgument, e.Message),
        ArgumentException => LastError.Set(Status.InvalidArgument, e.Message),
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException
            => LastError.Set(Status.Io, e.Message),
        KeyNotFoundException => LastError.Set(Status.NotFound, e.Message),
        NotSupportedException or PlatformNotSupportedException => LastError.Set(Status.Unsupported, e.Message),
        InvalidDataException => LastError.Set(Status.Format, e.Message),
        OutOfMemoryException => LastError.Set(Status.Internal, "out of memory"),
        _ => LastError.Set(Status.Internal, $"internal error: {e.GetType().Name}: {e.Message}"),
    };

    public static int Error(int status, string message) => LastError.Set(status, message);
}

/// <summary>An error with an explicit C status code, thrown by export helpers.</summary>
internal sealed class CrayonException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
