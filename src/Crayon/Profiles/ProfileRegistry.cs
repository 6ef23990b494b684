namespace Crayon.Profiles;

/// <summary>
/// Resolves a profile reference — a name such as "lite" or a path to a .dat file — to a file, and lists
/// the profiles present. A reference is a path when it contains '/' or ends in ".dat".
/// </summary>
public static class ProfileRegistry
{
    /// <summary>The profile names the project defines (not all of them need to be installed).</summary>
    public static readonly IReadOnlyList<string> KnownNames = ["lite", "code", "science", "multilingual", "arts_commerce"];

    public static bool IsPath(string reference) =>
        reference.Contains('/') || reference.EndsWith(".dat", StringComparison.Ordinal);

    /// <summary>The file for a name or path; KeyNotFoundException (listing what exists) for an unknown name.</summary>
    public static string Resolve(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        if (IsPath(reference))
        {
            if (!File.Exists(reference)) throw new FileNotFoundException($"profile file not found: {reference}", reference);
            return reference;
        }
        if (!IsValidName(reference)) throw new ArgumentException($"'{reference}' is not a valid profile name (letters, digits, '_', '-')");
        IReadOnlyList<string> dirs = ProfileDirectories.Search();
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, reference + ".dat");
            if (File.Exists(candidate)) return candidate;
        }
        IReadOnlyList<string> present = List();
        string where = dirs.Count == 0 ? "no profile directory is configured (set $CRAYON_PROFILE_DIR)" : "searched " + string.Join(", ", dirs);
        throw new KeyNotFoundException(
            $"unknown profile '{reference}': {where}; available: {(present.Count == 0 ? "none" : string.Join(", ", present))}");
    }

    /// <summary>Names of the .dat files in the search directories, first directory first, each once.</summary>
    public static IReadOnlyList<string> List()
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string dir in ProfileDirectories.Search())
        {
            string[] files;
            try { files = Directory.Exists(dir) ? Directory.GetFiles(dir, "*.dat") : []; }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string f in files)
            {
                string name = Path.GetFileNameWithoutExtension(f);
                if (IsValidName(name) && seen.Add(name)) names.Add(name);
            }
        }
        return names;
    }

    private static bool IsValidName(string name)
    {
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-')) return false;
        return name.Length > 0;
    }
}
