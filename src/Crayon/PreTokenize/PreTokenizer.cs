using System.Text.Unicode;

namespace Crayon.PreTokenize;

/// <summary>
/// Splits UTF-8 text into the pieces a tiktoken split pattern would match, reporting each piece as
/// a (start, length) byte range of the caller's text, without allocating.
/// </summary>
/// <remarks>
/// Get one with <see cref="FromPattern"/>. Instances are immutable and thread-safe.
/// Usage: <c>foreach (Piece p in pre.Split(utf8)) { var bytes = utf8.Slice(p.Start, p.Length); }</c>.
/// <see cref="Split"/> validates the whole input first and throws <see cref="InvalidUtf8Exception"/>
/// on invalid UTF-8 (tiktoken's regex runs on Rust <c>str</c>, which is always valid).
/// </remarks>
public abstract class PreTokenizer
{
    /// <summary>The pattern this splitter implements, as given to <see cref="FromPattern"/>.</summary>
    public string Pattern { get; }

    private protected PreTokenizer(string pattern) => Pattern = pattern;

    /// <summary>
    /// The splitter for a tiktoken-style split pattern: a hand-written exact splitter for the known
    /// patterns (cl100k_base and any <c>\p{N}{1,k}</c> variant of it such as nanochat's, o200k_base,
    /// p50k/r50k/gpt2), otherwise the general path (<see cref="RegexPreTokenizer"/>, limits in
    /// docs/bpe.md). Throws <see cref="ArgumentException"/> for a pattern the general path cannot run.
    /// </summary>
    public static PreTokenizer FromPattern(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return KnownPatterns.TryCreate(pattern) ?? new RegexPreTokenizer(pattern);
    }

    /// <summary>True when this is an exact hand-written splitter, false for the general path.</summary>
    public virtual bool IsExact => true;

    /// <summary>The pieces of <paramref name="utf8"/>; throws InvalidUtf8Exception on invalid UTF-8.</summary>
    public PieceEnumerator Split(ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8)) throw InvalidUtf8Exception.At(utf8);
        return new PieceEnumerator(this, utf8, CreateState(utf8));
    }

    /// <summary>The pieces of already-validated UTF-8 (callers that validated once, e.g. per document).</summary>
    internal PieceEnumerator SplitValid(ReadOnlySpan<byte> utf8) => new(this, utf8, CreateState(utf8));

    /// <summary>Convenience for tests and cold paths: the pieces of a string, as strings.</summary>
    public List<string> SplitToStrings(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var list = new List<string>();
        foreach (Piece p in Split(bytes))
            list.Add(System.Text.Encoding.UTF8.GetString(bytes, p.Start, p.Length));
        return list;
    }

    /// <summary>Per-call state for splitters that need it (the general path); null for exact splitters.</summary>
    private protected virtual object? CreateState(ReadOnlySpan<byte> utf8) => null;

    /// <summary>
    /// End (exclusive byte offset) of the piece that starts at <paramref name="start"/> &lt; text.Length.
    /// Always greater than start.
    /// </summary>
    private protected abstract int NextEnd(ReadOnlySpan<byte> text, int start, object? state);

    /// <summary>One piece: a byte range of the text that was split.</summary>
    public readonly record struct Piece(int Start, int Length)
    {
        public int End => Start + Length;
    }

    /// <summary>Allocation-free enumerator over the pieces (use with foreach).</summary>
    public ref struct PieceEnumerator
    {
        private readonly PreTokenizer _owner;
        private readonly ReadOnlySpan<byte> _text;
        private readonly object? _state;
        private int _pos;
        private Piece _current;

        internal PieceEnumerator(PreTokenizer owner, ReadOnlySpan<byte> text, object? state)
        {
            _owner = owner;
            _text = text;
            _state = state;
        }

        public readonly Piece Current => _current;
        public readonly PieceEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_pos >= _text.Length) return false;
            if (_state is RegexPreTokenizer.State regexState)
                return regexState.Next(ref _pos, out _current);
            int end = _owner.NextEnd(_text, _pos, _state);
            _current = new Piece(_pos, end - _pos);
            _pos = end;
            return true;
        }
    }
}

/// <summary>Text given as UTF-8 bytes is not valid UTF-8.</summary>
public sealed class InvalidUtf8Exception(string message, int offset) : Exception(message)
{
    /// <summary>Byte offset of the first invalid sequence.</summary>
    public int Offset { get; } = offset;

    internal static InvalidUtf8Exception At(ReadOnlySpan<byte> utf8)
    {
        int off = 0;
        while (off < utf8.Length)
        {
            var st = System.Text.Rune.DecodeFromUtf8(utf8[off..], out _, out int used);
            if (st != System.Buffers.OperationStatus.Done) break;
            off += used;
        }
        return new InvalidUtf8Exception($"text is not valid UTF-8 (first invalid byte at offset {off})", off);
    }
}
