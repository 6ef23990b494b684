namespace Crayon;

/// <summary>Library identity, reported through the C ABI and the CLI.</summary>
public static class CrayonInfo
{
    public const string Version = "0.1.0";
}
