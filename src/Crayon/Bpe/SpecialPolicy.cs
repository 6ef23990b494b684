namespace Crayon.Bpe;

/// <summary>
/// Which special tokens an encode call emits as ids (allowed) and which make it fail (disallowed),
/// per special-token index of the encoding. Everything else is ordinary text.
/// </summary>
public sealed class SpecialPolicy
{
    internal bool[] Allowed { get; }
    internal bool[] Disallowed { get; }
    internal bool AnyAllowed { get; }
    internal bool AnyDisallowed { get; }

    /// <summary>All special-token text is ordinary text (encode_ordinary).</summary>
    public static readonly SpecialPolicy None = new([], []);

    private SpecialPolicy(bool[] allowed, bool[] disallowed)
    {
        Allowed = allowed;
        Disallowed = disallowed;
        AnyAllowed = Array.IndexOf(allowed, true) >= 0;
        AnyDisallowed = Array.IndexOf(disallowed, true) >= 0;
    }

    /// <summary>
    /// tiktoken's rules: <paramref name="allowAll"/> allows every special token; names in
    /// <paramref name="allowed"/> that are not special tokens are ignored (as in tiktoken).
    /// <paramref name="disallowAll"/> disallows every special token that is not allowed; a name in
    /// <paramref name="disallowed"/> must be a special token of the encoding (ArgumentException).
    /// A token both allowed and disallowed is allowed.
    /// </summary>
    internal static SpecialPolicy Create(SpecialTokens specials, IEnumerable<string>? allowed, IEnumerable<string>? disallowed,
                                         bool allowAll, bool disallowAll)
    {
        int n = specials.Count;
        var a = new bool[n];
        var d = new bool[n];
        if (allowAll) Array.Fill(a, true);
        if (allowed != null)
            foreach (string name in allowed)
            {
                int k = specials.IndexOfName(name);
                if (k >= 0) a[k] = true;
            }
        if (disallowAll) Array.Fill(d, true);
        if (disallowed != null)
            foreach (string name in disallowed)
            {
                int k = specials.IndexOfName(name);
                if (k < 0) throw new ArgumentException($"\"{name}\" is in the disallowed list but is not a special token of this encoding");
                d[k] = true;
            }
        for (int k = 0; k < n; k++) if (a[k]) d[k] = false;
        return new SpecialPolicy(a, d);
    }
}
