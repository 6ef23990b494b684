using Crayon.Bpe;
using Crayon.Tokenization;

namespace Crayon.Streaming;

/// <summary>
/// One tokenizer as streaming sees it: whole texts in one call, local points where a text can be
/// cut into parts that tokenize independently (for splitting a file over cores), and sessions that
/// take text in pieces. Immutable; every member may be used from any number of threads at once,
/// except that each <see cref="TokenStream"/> it opens belongs to one thread at a time.
/// </summary>
public abstract class TokenEngine : IDisposable
{
    private protected TokenEngine() { }

    /// <summary>The number of ids: every id produced is in 0 .. IdLimit - 1.</summary>
    public abstract int IdLimit { get; }

    /// <summary>What the engine is, for messages ("profile lite", "bpe cl100k ...").</summary>
    public abstract string Describe();

    /// <summary>A new session over this engine.</summary>
    public abstract TokenStream OpenStream();

    /// <summary>
    /// Appends the ids of a whole text (the text ends where the span ends). offset is where the
    /// text starts in a larger input, for error messages.
    /// </summary>
    internal abstract void EncodeWhole(ReadOnlySpan<byte> text, IdBuffer ids, long offset);

    /// <summary>
    /// The last c in (0, text.Length) at which text[..c] and text[c..] + anything tokenize
    /// independently — judged from text alone, whatever comes after it — or -1 when text has none
    /// the engine can prove. text must start at such a point (or at the start of a document).
    /// </summary>
    internal abstract int IndependentCut(ReadOnlySpan<byte> text);

    /// <summary>A longest-match engine over the tokenizer's active profile, pinned until Dispose.</summary>
    public static TokenEngine ForProfile(Tokenizer tokenizer) => new LongestMatchEngine(tokenizer.Acquire());

    /// <summary>A BPE engine with the given special-token policy (SpecialPolicy.None: encode_ordinary).</summary>
    public static TokenEngine ForBpe(BpeEncoding encoding, SpecialPolicy policy) => new BpeEngine(encoding, policy);

    public virtual void Dispose() { }
}
