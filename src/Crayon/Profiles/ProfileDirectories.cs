namespace Crayon.Profiles;

/// <summary>
/// Where named profiles are looked up, in order: each entry of $CRAYON_PROFILE_DIR (':'-separated),
/// then, relative to the directory holding libcrayon.so: ../profiles, profiles, ../share/crayon/profiles.
/// The C layer sets <see cref="LibraryDirectory"/> (the engine cannot know which file it was loaded from).
/// </summary>
public static class ProfileDirectories
{
    public const string EnvironmentVariable = "CRAYON_PROFILE_DIR";

    /// <summary>Directory of the shared library, or null when not known (tests, embedding).</summary>
    public static string? LibraryDirectory { get; set; }

    public static IReadOnlyList<string> Search()
    {
        var dirs = new List<string>();
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env))
            foreach (string d in env.Split(':', StringSplitOptions.RemoveEmptyEntries)) dirs.Add(d);
        string? lib = LibraryDirectory;
        if (!string.IsNullOrEmpty(lib))
        {
            dirs.Add(Path.GetFullPath(Path.Combine(lib, "..", "profiles")));
            dirs.Add(Path.GetFullPath(Path.Combine(lib, "profiles")));
            dirs.Add(Path.GetFullPath(Path.Combine(lib, "..", "share", "crayon", "profiles")));
        }
        return dirs;
    }
}
