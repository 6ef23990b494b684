namespace Crayon;

/// <summary>
/// Which special tokens (such as <c>&lt;|endoftext|&gt;</c>) an encode call turns into their ids and
/// which make it fail: tiktoken's <c>allowed_special</c> / <c>disallowed_special</c>. Text between
/// special tokens, and special-token text that is neither allowed nor disallowed, is encoded as
/// ordinary text. Immutable; one instance serves every encoding and thread.
/// </summary>
/// <example>
/// <code>
/// enc.Encode("a&lt;|endoftext|&gt;b");                                     // throws: disallowed by default
/// enc.Encode("a&lt;|endoftext|&gt;b", SpecialTokenPolicy.AllowAll);        // [..., 100257, ...]
/// enc.Encode("a&lt;|endoftext|&gt;b", SpecialTokenPolicy.Ordinary);        // the text as plain text
/// enc.Encode("a&lt;|endoftext|&gt;b", SpecialTokenPolicy.Allow("&lt;|endoftext|&gt;"));
/// </code>
/// </example>
public sealed class SpecialTokenPolicy
{
    private static readonly string[] s_none = [];

    private SpecialTokenPolicy(string[] allowed, bool allowAll, string[] disallowed, bool disallowAll)
    {
        AllowedNames = allowed;
        AllowsAll = allowAll;
        DisallowedNames = disallowed;
        DisallowsAll = disallowAll;
    }

    /// <summary>
    /// tiktoken's default (<c>allowed_special=set(), disallowed_special="all"</c>): any special
    /// token in the text throws <see cref="DisallowedSpecialTokenException"/>. Guards against text
    /// from users injecting control tokens.
    /// </summary>
    public static SpecialTokenPolicy DisallowAll { get; } = new(s_none, false, s_none, true);

    /// <summary>Every special token in the text becomes its id (<c>allowed_special="all"</c>).</summary>
    public static SpecialTokenPolicy AllowAll { get; } = new(s_none, true, s_none, false);

    /// <summary>
    /// Special-token text is ordinary text and never fails (<c>encode_ordinary</c>, or
    /// <c>disallowed_special=()</c>).
    /// </summary>
    public static SpecialTokenPolicy Ordinary { get; } = new(s_none, false, s_none, false);

    /// <summary>
    /// The named special tokens become their ids; any other special token in the text throws
    /// (<c>allowed_special={...}</c> with the default <c>disallowed_special="all"</c>). Names that
    /// are not special tokens of the encoding are ignored, as in tiktoken.
    /// </summary>
    /// <param name="names">Special-token strings, e.g. <c>"&lt;|endoftext|&gt;"</c>.</param>
    public static SpecialTokenPolicy Allow(params string[] names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return new SpecialTokenPolicy(Copy(names, nameof(names)), false, s_none, true);
    }

    /// <summary>
    /// Any combination, spelled as in tiktoken: the allowed tokens (or all of them) become ids, the
    /// disallowed ones (or all that are not allowed) throw, the rest is ordinary text. A token that
    /// is both allowed and disallowed is allowed. A disallowed name that is not a special token of
    /// the encoding makes the encode call throw <see cref="ArgumentException"/>.
    /// </summary>
    /// <param name="allowed">Special tokens to encode as ids (null: none).</param>
    /// <param name="disallowed">Special tokens that make the call fail (null: none).</param>
    /// <param name="allowAll">Allow every special token.</param>
    /// <param name="disallowAll">Disallow every special token that is not allowed.</param>
    public static SpecialTokenPolicy Create(IEnumerable<string>? allowed = null, IEnumerable<string>? disallowed = null,
                                            bool allowAll = false, bool disallowAll = false)
        => new(allowed is null ? s_none : Copy([.. allowed], nameof(allowed)), allowAll,
               disallowed is null ? s_none : Copy([.. disallowed], nameof(disallowed)), disallowAll);

    /// <summary>Special tokens allowed by name (empty when none, or when <see cref="AllowsAll"/>).</summary>
    public IReadOnlyList<string> AllowedNames { get; }

    /// <summary>Whether every special token is allowed.</summary>
    public bool AllowsAll { get; }

    /// <summary>Special tokens disallowed by name.</summary>
    public IReadOnlyList<string> DisallowedNames { get; }

    /// <summary>Whether every special token that is not allowed is disallowed.</summary>
    public bool DisallowsAll { get; }

    private static string[] Copy(string[] names, string parameter)
    {
        var copy = (string[])names.Clone();
        foreach (string n in copy)
            if (n is null) throw new ArgumentException("a special-token name is null", parameter);
        return copy;
    }
}
