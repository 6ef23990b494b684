namespace Crayon.Dat;

/// <summary>A .dat image that is truncated, corrupt, of another version, or hostile (CRAYON_E_FORMAT).</summary>
public sealed class DatFormatException(string message) : FormatException(message);
