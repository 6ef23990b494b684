using System.Buffers;
using System.Text;

namespace Crayon;

/// <summary>
/// UTF-8 of a .NET string for one call, without a new array per call: on the stack up to 1 KiB,
/// else in a pooled array returned by <see cref="Dispose"/>. A lone surrogate has no UTF-8 form and
/// is an <see cref="ArgumentException"/>, never a silent U+FFFD.
/// </summary>
internal ref struct Utf8Text
{
    public const int StackBytes = 1024;

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[]? _rented;

    /// <summary>The UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Bytes { get; private set; }

    /// <summary>Encodes <paramref name="text"/> into <paramref name="stack"/> when it fits, else into a pooled array.</summary>
    public static Utf8Text From(string text, Span<byte> stack, string parameter)
    {
        var result = new Utf8Text();
        Span<byte> target = stack;
        int max = s_strict.GetMaxByteCount(text.Length);
        if (max > stack.Length) target = result._rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            result.Bytes = target[..s_strict.GetBytes(text, target)];
        }
        catch (EncoderFallbackException e)
        {
            result.Dispose();
            throw new ArgumentException($"the text holds a lone surrogate at index {e.Index} (it has no UTF-8 form)", parameter, e);
        }
        return result;
    }

    /// <summary>A new array (for data that outlives the call).</summary>
    public static byte[] ToArray(string text, string parameter)
    {
        try { return s_strict.GetBytes(text); }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"the text holds a lone surrogate at index {e.Index} (it has no UTF-8 form)", parameter, e);
        }
    }

    public void Dispose()
    {
        if (_rented is not null) ArrayPool<byte>.Shared.Return(_rented);
        _rented = null;
        Bytes = default;
    }
}
