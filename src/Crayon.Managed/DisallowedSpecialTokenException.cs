namespace Crayon;

/// <summary>
/// The text holds a special token (such as <c>&lt;|endoftext|&gt;</c>) that the
/// <see cref="SpecialTokenPolicy"/> of the call disallows — tiktoken's <c>ValueError</c>. Allow the
/// token to encode it as its id, or use <see cref="SpecialTokenPolicy.Ordinary"/> to encode it as
/// plain text.
/// </summary>
public sealed class DisallowedSpecialTokenException : ArgumentException
{
    internal DisallowedSpecialTokenException(string token, int offset, Exception inner)
        : base($"The text holds the disallowed special token \"{token}\" at byte {offset}. To encode it as a special "
             + "token, allow it (SpecialTokenPolicy.Allow or AllowAll); to encode it as plain text, use "
             + "SpecialTokenPolicy.Ordinary or EncodeOrdinary.", "text", inner)
    {
        Token = token;
        Offset = offset;
    }

    /// <summary>The special token found in the text.</summary>
    public string Token { get; }

    /// <summary>Its byte offset in the UTF-8 text.</summary>
    public int Offset { get; }
}
