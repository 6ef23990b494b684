using System.Security.Cryptography;
using System.Text;
using Crayon.Bpe;

namespace Crayon;

/// <summary>
/// A byte-level BPE encoding that gives exactly tiktoken's ids: cl100k_base, o200k_base, gpt2,
/// r50k_base, p50k_base, p50k_edit, or any rank file with its own split pattern and special tokens.
/// Text is split with the pattern, each piece is looked up whole, else merged by rank.
/// Immutable and thread-safe: load it once and share it; it holds managed memory only.
/// </summary>
/// <example>
/// <code>
/// var enc = TiktokenEncoding.Load("cl100k_base");          // from $CRAYON_TIKTOKEN_DIR
/// int[] ids = enc.Encode("hello world");                   // [15339, 1917]
/// string text = enc.Decode(ids);
/// </code>
/// </example>
public sealed class TiktokenEncoding
{
    /// <summary>The environment variable naming the directory that holds <c>&lt;name&gt;.tiktoken</c> rank files.</summary>
    public const string DirectoryVariable = "CRAYON_TIKTOKEN_DIR";

    private readonly BpeEncoding _engine;
    private readonly Crayon.Bpe.SpecialPolicy _disallowAll;
    private readonly Crayon.Bpe.SpecialPolicy _allowAll;

    private TiktokenEncoding(string name, string pattern, BpeEncoding engine, Dictionary<string, int> specials)
    {
        Name = name;
        Pattern = pattern;
        _engine = engine;
        SpecialTokens = specials.AsReadOnly();
        _disallowAll = engine.Policy(null, null, allowAll: false, disallowAll: true);
        _allowAll = engine.Policy(null, null, allowAll: true, disallowAll: false);
    }

    // ---- loading --------------------------------------------------------------------------------

    /// <summary>The names <see cref="Load(string, string?)"/> knows.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = Array.ConvertAll(KnownEncodings.All, s => s.Name);

    /// <summary>
    /// A standard encoding by name (see <see cref="KnownNames"/>), from the rank file
    /// <c>&lt;directory&gt;/&lt;file&gt;.tiktoken</c>, where <paramref name="directory"/> defaults to
    /// <c>$CRAYON_TIKTOKEN_DIR</c>. The file is checked against OpenAI's published SHA-256. Nothing
    /// is downloaded: get the rank files once (e.g. from <c>https://openaipublic.blob.core.windows.net/encodings/</c>).
    /// </summary>
    /// <param name="name">An encoding name such as <c>"cl100k_base"</c> or <c>"o200k_base"</c>.</param>
    /// <param name="directory">The folder holding the rank files; null: <c>$CRAYON_TIKTOKEN_DIR</c>.</param>
    /// <exception cref="ArgumentException">The name is not a known encoding.</exception>
    /// <exception cref="FileNotFoundException">The rank file is not there (the message says where it looked).</exception>
    /// <exception cref="InvalidDataException">The file is not the published one.</exception>
    public static TiktokenEncoding Load(string name, string? directory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        KnownEncodings.Spec spec = KnownEncodings.Find(name)
            ?? throw new ArgumentException($"unknown encoding \"{name}\"; known: {KnownEncodings.Names}. "
                                         + "Load another rank file with TiktokenEncoding.Create.", nameof(name));
        directory ??= Environment.GetEnvironmentVariable(DirectoryVariable);
        if (string.IsNullOrEmpty(directory))
            throw new FileNotFoundException($"cannot find {spec.RankFile}: ${DirectoryVariable} is not set. Put the rank file in a "
                                          + $"folder and set ${DirectoryVariable}, or pass the folder (or use FromFile).", spec.RankFile);
        return FromFile(Path.Combine(directory, spec.RankFile), name);
    }

    /// <summary>
    /// A standard encoding (see <see cref="KnownNames"/>) from a rank file at a path of your choice;
    /// checked against the published SHA-256 like <see cref="Load(string, string?)"/>.
    /// </summary>
    /// <param name="path">The <c>.tiktoken</c> rank file.</param>
    /// <param name="name">The encoding it belongs to, such as <c>"cl100k_base"</c>.</param>
    /// <exception cref="ArgumentException">The name is not a known encoding.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not the published rank file of that encoding.</exception>
    public static TiktokenEncoding FromFile(string path, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(name);
        KnownEncodings.Spec spec = KnownEncodings.Find(name)
            ?? throw new ArgumentException($"unknown encoding \"{name}\"; known: {KnownEncodings.Names}", nameof(name));
        byte[] data = ReadRankFile(path);
        string sha = Convert.ToHexStringLower(SHA256.HashData(data));
        if (sha != spec.Sha256)
            throw new InvalidDataException($"{path} is not the published {spec.RankFile} (sha256 {sha}, expected {spec.Sha256})");
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in spec.Specials) specials.Add(token, id);
        return Build(spec.Name, data, spec.Pattern, specials);
    }

    /// <summary>
    /// Any encoding: a rank file (<c>base64(token) rank</c> per line), the split pattern (a regular
    /// expression; GPT-2, cl100k and o200k patterns run on exact hand-written splitters), and the
    /// special tokens with their ids.
    /// </summary>
    /// <param name="name">A name for the encoding (reported by <see cref="Name"/>).</param>
    /// <param name="rankFile">The contents of a <c>.tiktoken</c> rank file.</param>
    /// <param name="pattern">The split pattern.</param>
    /// <param name="specialTokens">Special token → id; ids must not collide with ranks (null: none).</param>
    /// <exception cref="InvalidDataException">The rank data is malformed (the message names the line) or ids collide.</exception>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression.</exception>
    public static TiktokenEncoding Create(string name, ReadOnlySpan<byte> rankFile, string pattern,
                                          IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (specialTokens is not null)
            foreach (var (token, id) in specialTokens) specials.Add(token, id);
        return Build(name, rankFile, pattern, specials);
    }

    internal static TiktokenEncoding FromRanks(string name, IReadOnlyList<byte[]> tokens, string pattern,
                                               IReadOnlyDictionary<string, int>? specialTokens)
    {
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (specialTokens is not null)
            foreach (var (token, id) in specialTokens) specials.Add(token, id);
        var ranks = new int[tokens.Count];
        for (int i = 0; i < ranks.Length; i++) ranks[i] = i;
        var (names, ids) = Split(specials);
        return new TiktokenEncoding(name, pattern, BpeEncoding.FromRanks(tokens, ranks, pattern, names, ids), specials);
    }

    private static TiktokenEncoding Build(string name, ReadOnlySpan<byte> data, string pattern, Dictionary<string, int> specials)
    {
        var (names, ids) = Split(specials);
        return new TiktokenEncoding(name, pattern, BpeEncoding.FromTiktokenData(data, pattern, names, ids), specials);
    }

    private static (string[] Names, int[] Ids) Split(Dictionary<string, int> specials)
    {
        var names = new string[specials.Count];
        var ids = new int[specials.Count];
        int i = 0;
        foreach (var (token, id) in specials) { names[i] = token; ids[i] = id; i++; }
        return (names, ids);
    }

    private static byte[] ReadRankFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"rank file not found: {path}", path);
        return File.ReadAllBytes(path);
    }

    // ---- what it is -----------------------------------------------------------------------------

    /// <summary>The encoding's name, such as <c>"cl100k_base"</c>.</summary>
    public string Name { get; }

    /// <summary>The split pattern.</summary>
    public string Pattern { get; }

    /// <summary>Largest token id + 1, special tokens included (tiktoken's <c>n_vocab</c>).</summary>
    public int VocabSize => _engine.NVocab;

    /// <summary>The special tokens and their ids.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; }

    // ---- encoding -------------------------------------------------------------------------------

    /// <summary>
    /// The ids of <paramref name="text"/> under <paramref name="policy"/> (default:
    /// <see cref="SpecialTokenPolicy.DisallowAll"/>, tiktoken's <c>encode</c> default).
    /// </summary>
    /// <param name="text">The text; a lone surrogate (not representable in UTF-8) is an error.</param>
    /// <param name="policy">What to do with special tokens in the text.</param>
    /// <exception cref="DisallowedSpecialTokenException">The text holds a disallowed special token.</exception>
    /// <exception cref="ArgumentException">The text holds a lone surrogate.</exception>
    public int[] Encode(string text, SpecialTokenPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var utf8 = Utf8Text.From(text, stackalloc byte[Utf8Text.StackBytes], nameof(text));
        return Encode(utf8.Bytes, policy);
    }

    /// <summary>The ids of UTF-8 text under <paramref name="policy"/> (default: <see cref="SpecialTokenPolicy.DisallowAll"/>).</summary>
    /// <param name="utf8">UTF-8 text.</param>
    /// <param name="policy">What to do with special tokens in the text.</param>
    /// <exception cref="DisallowedSpecialTokenException">The text holds a disallowed special token.</exception>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8 (the message gives the offset).</exception>
    public int[] Encode(ReadOnlySpan<byte> utf8, SpecialTokenPolicy? policy = null)
    {
        try { return _engine.Encode(utf8, Resolve(policy)); }
        catch (Exception e) when (Errors.Translate(e, nameof(utf8)) is Exception mapped) { throw mapped; }
    }

    /// <summary>
    /// Encodes UTF-8 text into <paramref name="destination"/> without allocating the result and
    /// returns the number of ids. When the span is too small nothing useful is lost: the return
    /// value is then larger than <c>destination.Length</c>, only the first ids were written, and a
    /// call with a span of that size writes them all.
    /// </summary>
    /// <param name="utf8">UTF-8 text.</param>
    /// <param name="destination">Where the ids go.</param>
    /// <param name="policy">What to do with special tokens in the text.</param>
    /// <returns>The total number of ids of the text.</returns>
    /// <exception cref="DisallowedSpecialTokenException">The text holds a disallowed special token.</exception>
    /// <exception cref="ArgumentException">The bytes are not valid UTF-8.</exception>
    public int Encode(ReadOnlySpan<byte> utf8, Span<int> destination, SpecialTokenPolicy? policy = null)
    {
        try { return _engine.Encode(utf8, Resolve(policy), destination); }
        catch (Exception e) when (Errors.Translate(e, nameof(utf8)) is Exception mapped) { throw mapped; }
    }

    /// <summary>The ids of the text with special-token text encoded as plain text (tiktoken's <c>encode_ordinary</c>).</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentException">The text holds a lone surrogate.</exception>
    public int[] EncodeOrdinary(string text) => Encode(text, SpecialTokenPolicy.Ordinary);

    /// <summary>
    /// Encodes many texts on up to <paramref name="threads"/> threads (0: all cores); result i
    /// belongs to text i. An error names the document it came from.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <param name="policy">What to do with special tokens in the texts.</param>
    /// <param name="threads">Worker threads; 0 or less: one per core.</param>
    public int[][] EncodeBatch(IReadOnlyList<string> texts, SpecialTokenPolicy? policy = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var utf8 = new byte[texts.Count][];
        for (int i = 0; i < utf8.Length; i++)
            utf8[i] = Utf8Text.ToArray(texts[i] ?? throw new ArgumentException($"texts[{i}] is null", nameof(texts)), nameof(texts));
        try { return _engine.EncodeBatch(utf8.Length, i => utf8[i], Resolve(policy), threads); }
        catch (Exception e) when (Errors.Translate(e, nameof(texts)) is Exception mapped) { throw mapped; }
    }

    // ---- decoding -------------------------------------------------------------------------------

    /// <summary>
    /// The text of the ids. Ids can end inside a multi-byte character; such incomplete bytes become
    /// U+FFFD, as tiktoken's <c>decode</c> does. Use <see cref="DecodeBytes"/> for the exact bytes.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the encoding.</exception>
    public string Decode(ReadOnlySpan<int> ids) => Encoding.UTF8.GetString(DecodeBytes(ids));

    /// <summary>The UTF-8 bytes of the ids, concatenated.</summary>
    /// <param name="ids">Token ids.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the encoding.</exception>
    public byte[] DecodeBytes(ReadOnlySpan<int> ids)
    {
        try { return _engine.DecodeBytes(ids); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    /// <summary>The bytes of one token (ordinary or special).</summary>
    /// <param name="id">A token id.</param>
    /// <exception cref="ArgumentOutOfRangeException">The id is not in the encoding.</exception>
    public byte[] TokenBytes(int id)
    {
        try { return _engine.TokenBytes(id).ToArray(); }
        catch (Exception e) when (Errors.Translate(e) is Exception mapped) { throw mapped; }
    }

    // ---- helpers --------------------------------------------------------------------------------

    private Crayon.Bpe.SpecialPolicy Resolve(SpecialTokenPolicy? policy)
    {
        if (policy is null || ReferenceEquals(policy, SpecialTokenPolicy.DisallowAll)) return _disallowAll;
        if (ReferenceEquals(policy, SpecialTokenPolicy.AllowAll)) return _allowAll;
        if (ReferenceEquals(policy, SpecialTokenPolicy.Ordinary)) return Crayon.Bpe.SpecialPolicy.None;
        return _engine.Policy(policy.AllowedNames, policy.DisallowedNames, policy.AllowsAll, policy.DisallowsAll);
    }
}
