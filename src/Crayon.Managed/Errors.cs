using Crayon.Dat;
using Crayon.PreTokenize;

namespace Crayon;

/// <summary>
/// Turns the engine's exceptions (its types are not part of the package's public surface) into the
/// standard .NET ones the API documents: bad text or ids are the caller's argument, a bad file is
/// <see cref="InvalidDataException"/>. Everything else passes through unchanged.
/// </summary>
internal static class Errors
{
    /// <summary>The public exception for <paramref name="e"/>, or null to rethrow it as is.</summary>
    public static Exception? Translate(Exception e, string textParameter = "text") => e switch
    {
        InvalidUtf8Exception u => new ArgumentException(u.Message, textParameter, u),
        Crayon.Bpe.DisallowedSpecialException d => new DisallowedSpecialTokenException(d.Token, d.Offset, d),
        Crayon.Bpe.UnknownTokenIdException b => new ArgumentOutOfRangeException("ids", b.Message),
        Crayon.Tokenization.UnknownTokenIdException t => new ArgumentOutOfRangeException("ids", t.Message),
        DatFormatException f => new InvalidDataException(f.Message, f),
        _ => null,
    };
}
