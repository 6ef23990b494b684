using System.Text;
using Crayon.Dat;
using Crayon.Normalization;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon;

/// <summary>
/// A greedy longest-match tokenizer over one vocabulary profile (a compiled <c>.dat</c> trie, read
/// in place from a memory-mapped file). At each position it emits the longest vocabulary entry that
/// matches, else the byte's own token, so every byte sequence tokenizes and decodes back exactly.
/// All members are thread-safe except <see cref="Dispose"/>; <see cref="SwapProfile"/> replaces the
/// profile while other threads tokenize (each call finishes on the profile it started with).
/// </summary>
/// <example>
/// <code>
/// using var vocab = CrayonVocab.Load("lite");        // profiles/lite.dat ships in the package
/// int[] ids = vocab.Tokenize("The quick brown fox");
/// string text = vocab.Decode(ids);
/// </code>
/// </example>
public sealed class CrayonVocab : IDisposable
{
    /// <summary>The environment variable listing the folders (':'-separated) searched for named profiles first.</summary>
    public const string ProfileDirectoryVariable = ProfileDirectories.EnvironmentVariable;

    private readonly Tokenizer _tokenizer;
    private int _disposed;

    static CrayonVocab()
    {
        // Named profiles are also looked for next to the program: <app>/profiles, where the
        // package copies lite.dat. (The C library sets this to the folder of libcrayon.so.)
        ProfileDirectories.LibraryDirectory ??= AppContext.BaseDirectory;
    }

    private CrayonVocab(Profile profile)
    {
        _tokenizer = new Tokenizer(profile, "cpu");
    }

    // ---- loading --------------------------------------------------------------------------------

    /// <summary>
    /// Loads a profile by name (<c>"lite"</c>, <c>"code"</c>, <c>"science"</c>,
    /// <c>"multilingual"</c>, <c>"arts_commerce"</c>, or any <c>&lt;name&gt;.dat</c> in the search
    /// folders; see <see cref="SearchDirectories"/>) or by path (contains '/' or ends in <c>.dat</c>).
    /// The file is memory-mapped and stays mapped until <see cref="Dispose"/>. Loading reads a
    /// constant amount of it (the header); reads outside the file are impossible by construction
    /// and each token is checked against the trie on first use. <paramref name="verify"/> checks
    /// the whole file first instead (see <see cref="Verify"/>).
    /// </summary>
    /// <param name="nameOrPath">A profile name or a path to a <c>.dat</c> file.</param>
    /// <param name="verify">Verify the whole file before accepting it.</param>
    /// <exception cref="KeyNotFoundException">No profile of that name (the message lists the folders searched and the profiles found).</exception>
    /// <exception cref="FileNotFoundException">No file at that path.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid <c>.dat</c> profile.</exception>
    public static CrayonVocab Load(string nameOrPath, bool verify = false) => new(Map(nameOrPath, verify));

    /// <summary>A profile from a <c>.dat</c> image in memory (copied; the span may be reused afterwards).</summary>
    /// <param name="datImage">The bytes of a <c>.dat</c> file.</param>
    /// <param name="verify">Verify the whole image before accepting it.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid <c>.dat</c> profile.</exception>
    public static CrayonVocab FromBytes(ReadOnlySpan<byte> datImage, bool verify = false)
    {
        try { return new CrayonVocab(Profile.FromBytes(datImage, verify)); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// The full check of the active profile: its checksum, every trie cell, every token against
    /// its trie path. Reads the whole file once; afterwards tokenizing skips the first-use checks.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged (the message names the first problem).</exception>
    public void Verify()
    {
        using var lease = Acquire();
        try { lease.Profile.Verify(); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// Compiles a vocabulary into a <c>.dat</c> image (save it with <see cref="File.WriteAllBytes(string, byte[])"/>,
    /// load it with <see cref="FromBytes"/> or <see cref="Load"/>). The tokens get the ids
    /// <c>FirstLearnedId</c>, <c>FirstLearnedId + 1</c>, ... in list order, skipping duplicates and
    /// single bytes; ids below that are reserved (0..3) and the 256 byte tokens.
    /// </summary>
    /// <param name="tokens">The vocabulary entries, most important first; duplicates and single bytes are skipped.</param>
    /// <param name="name">The profile's name.</param>
    /// <param name="source">One line saying where the vocabulary came from.</param>
    /// <param name="normalizeNfc">Whether text is NFC-normalised before matching (for vocabularies learned from NFC text).</param>
    public static byte[] BuildImage(IEnumerable<string> tokens, string name, string source = "", bool normalizeNfc = false)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(source);
        var list = new List<byte[]>();
        foreach (string t in tokens)
            list.Add(Utf8Text.ToArray(t ?? throw new ArgumentException("a token is null", nameof(tokens)), nameof(tokens)));
        try { return DatWriter.Build(list, name, source, normalizeNfc ? TextNormalization.Nfc : TextNormalization.None); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    /// <summary>The first id of a learned token; ids below it are the reserved ids and the byte tokens.</summary>
    public const int FirstLearnedId = DatLayout.FirstLearnedId;

    /// <summary>The id of the single-byte token for byte b is <c>ByteIdBase + b</c>.</summary>
    public const int ByteIdBase = DatLayout.ByteIdBase;

    /// <summary>The names of the profiles found in the search folders, first folder first.</summary>
    public static IReadOnlyList<string> AvailableProfiles() => ProfileRegistry.List();

    /// <summary>
    /// Where profile names are looked up, in order: each folder in <c>$CRAYON_PROFILE_DIR</c>, then
    /// <c>profiles/</c> next to the program (where the package puts <c>lite.dat</c>) and its parent's.
    /// </summary>
    public static IReadOnlyList<string> SearchDirectories => ProfileDirectories.Search();

    /// <summary>
    /// Replaces the profile with another one (by name or path) while other threads may be
    /// tokenizing: calls already running finish with the old profile, which is unmapped after the
    /// last of them. Ids from different profiles are not interchangeable.
    /// </summary>
    /// <param name="nameOrPath">A profile name or a path to a <c>.dat</c> file.</param>
    /// <param name="verify">Verify the whole file before swapping it in.</param>
    /// <exception cref="KeyNotFoundException">No profile of that name.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid profile; the current profile stays.</exception>
    public void SwapProfile(string nameOrPath, bool verify = false)
    {
        ThrowIfDisposed();
        _tokenizer.Swap(Map(nameOrPath, verify));
    }

    private static Profile Map(string nameOrPath, bool verify)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        try { return Profile.Map(ProfileRegistry.Resolve(nameOrPath), verify); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    // ---- what it is -----------------------------------------------------------------------------

    /// <summary>The profile's name, as stored in the <c>.dat</c>.</summary>
    public string Name { get { using var lease = Acquire(); return lease.Profile.Name; } }

    /// <summary>Where the profile's vocabulary came from (one line, from the <c>.dat</c>).</summary>
    public string Source { get { using var lease = Acquire(); return lease.Profile.Source; } }

    /// <summary>The file the profile was mapped from, or null for one loaded from bytes.</summary>
    public string? FilePath { get { using var lease = Acquire(); return lease.Profile.Path; } }

    /// <summary>The number of ids: every id is in <c>0..VocabSize-1</c>.</summary>
    public int VocabSize { get { ThrowIfDisposed(); return _tokenizer.VocabSize; } }

    /// <summary>Whether text is NFC-normalised before matching (so ids decode to the NFC form of the text).</summary>
    public bool NormalizesNfc { get { using var lease = Acquire(); return lease.Profile.Normalization == TextNormalization.Nfc; } }

    // ---- tokenize / decode ----------------------------------------------------------------------

    /// <summary>The ids of a string (tokenized as UTF-8).</summary>
    /// <param name="text">The text; a lone surrogate (not representable in UTF-8) is an error.</param>
    /// <exception cref="ArgumentException">The text holds a lone surrogate.</exception>
    public int[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var utf8 = Utf8Text.From(text, stackalloc byte[Utf8Text.StackBytes], nameof(text));
        return Tokenize(utf8.Bytes);
    }

    /// <summary>The ids of UTF-8 bytes. Any bytes are accepted: a byte that starts no vocabulary entry is its own byte token.</summary>
    /// <param name="utf8">The text as UTF-8.</param>
    public int[] Tokenize(ReadOnlySpan<byte> utf8)
    {
        ThrowIfDisposed();
        try { return _tokenizer.Tokenize(utf8); }
        catch (Exception e) when (Errors.Translate(e, nameof(utf8)) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// Tokenizes into <paramref name="destination"/> without allocating and returns the number of
    /// ids. A span of <see cref="MaxTokenCount"/>(<c>utf8.Length</c>) ids always suffices; when the
    /// span is too small the return value is larger than <c>destination.Length</c> and only the
    /// first ids were written (call again with a span of that size).
    /// </summary>
    /// <param name="utf8">The text as UTF-8.</param>
    /// <param name="destination">Where the ids go.</param>
    /// <returns>The total number of ids of the text.</returns>
    public int Tokenize(ReadOnlySpan<byte> utf8, Span<int> destination)
    {
        ThrowIfDisposed();
        try { return checked((int)_tokenizer.Tokenize(utf8, destination)); }
        catch (Exception e) when (Errors.Translate(e, nameof(utf8)) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// An upper bound on the ids of <paramref name="utf8Length"/> bytes of text: each id covers at
    /// least one byte, and NFC normalisation can make UTF-8 at most 3 times longer.
    /// </summary>
    /// <param name="utf8Length">The text's length in bytes.</param>
    public static int MaxTokenCount(int utf8Length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(utf8Length);
        return utf8Length <= int.MaxValue / 3 ? 3 * utf8Length : int.MaxValue;
    }

    /// <summary>The UTF-8 bytes of the ids, concatenated.</summary>
    /// <param name="ids">Token ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>0..VocabSize-1</c>.</exception>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        ThrowIfDisposed();
        try { return _tokenizer.Decode(ids); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// The text of the ids. Ids that end inside a multi-byte character (byte tokens) give U+FFFD
    /// for the incomplete bytes; <see cref="DecodeBytes"/> gives the exact bytes.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>0..VocabSize-1</c>.</exception>
    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    // ---- lifetime -------------------------------------------------------------------------------

    /// <summary>Releases the profile (its mapping is closed once no call uses it). Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _tokenizer.Dispose();
    }

    private Tokenizer.Lease Acquire()
    {
        ThrowIfDisposed();
        return _tokenizer.Acquire();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
