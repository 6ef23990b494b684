namespace Crayon.Bpe;

/// <summary>Text holds a special token that the call did not allow (tiktoken's ValueError).</summary>
public sealed class DisallowedSpecialException(string token, int offset, int document = -1)
    : Exception((document >= 0 ? $"document {document}: " : "")
              + $"Encountered text corresponding to disallowed special token \"{token}\" at byte {offset}. "
              + "To encode it as a special token, allow it (allowed_special / CRAYON_ALLOW_ALL_SPECIAL); "
              + "to encode it as normal text, stop disallowing it (disallowed_special=() / no disallowed list and no "
              + "CRAYON_DISALLOW_ALL_SPECIAL), or use encode_ordinary.")
{
    public string Token { get; } = token;
    public int Offset { get; } = offset;
    public int Document { get; } = document;
}

/// <summary>A token id that is not in the encoding.</summary>
public sealed class UnknownTokenIdException(int id, long position)
    : Exception(position >= 0 ? $"token id {id} at position {position} is not in the encoding" : $"token id {id} is not in the encoding")
{
    public int Id { get; } = id;
    public long Position { get; } = position;
}
