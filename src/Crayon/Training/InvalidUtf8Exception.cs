namespace Crayon.Training;

/// <summary>Text that had to be UTF-8 was not (CRAYON_E_INVALID_UTF8 at the C boundary).</summary>
internal sealed class InvalidUtf8Exception(string message) : ArgumentException(message);
