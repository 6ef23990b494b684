using Crayon.Normalization;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Streaming;

/// <summary>
/// Greedy longest match for streaming. The profile is pinned for the engine's life (a hot swap
/// on the tokenizer does not change a stream half-way).
/// </summary>
/// <remarks>
/// Independent cuts: a byte that no token has after its first byte ("initial-only", found once
/// from the token table) can only start a token, so every walk stops before it and the text after
/// it starts afresh: a cut before it is exact. NFC profiles only use ASCII ones followed by ASCII
/// (a normalisation boundary, and the byte reaches the matcher unchanged: nothing composes with it).
/// Where there is none, ShardFile matches chunks in parallel and stitches them
/// (<see cref="ParallelLongestMatch"/>; NFC profiles: one <see cref="LongestMatchStream"/>).
/// </remarks>
internal sealed unsafe class LongestMatchEngine : TokenEngine
{
    private readonly Tokenizer.Lease _lease;
    private bool[]? _initialOnly;   // found on first use (a file run needs it; a session does not)

    public LongestMatchEngine(Tokenizer.Lease lease) => _lease = lease;

    /// <summary>The initial-only bytes, from one pass over the token table (a race computes it twice, harmlessly).</summary>
    private bool[] InitialOnly()
    {
        if (_initialOnly is { } known) return known;
        var inner = new bool[256];
        var image = _lease.Profile.Image;
        for (int id = 0; id < image.VocabSize; id++)
        {
            ReadOnlySpan<byte> t = image.TokenAt(id);
            for (int k = 1; k < t.Length; k++) inner[t[k]] = true;
        }
        var initial = new bool[256];
        int limit = Normalization == TextNormalization.None ? 256 : 128;
        for (int b = 0; b < limit; b++) initial[b] = !inner[b];
        return _initialOnly = initial;
    }

    internal Profile Profile => _lease.Profile;
    internal TextNormalization Normalization => _lease.Profile.Normalization;
    internal int MaxTokenBytes => Math.Max(1, _lease.Profile.MaxTokenBytes);

    public override int IdLimit => _lease.Profile.VocabSize;

    public override string Describe() => $"profile \"{_lease.Profile.Name}\"";

    public override TokenStream OpenStream() => new LongestMatchStream(this);

    internal override void EncodeWhole(ReadOnlySpan<byte> text, IdBuffer ids, long offset)
    {
        fixed (byte* p = text)
        {
            if (Normalization == TextNormalization.None)
            {
                Run(p, text.Length, ids);
                return;
            }
            using NormalizedText n = Nfc.Normalize(p, text.Length);
            Run(n.Pointer, n.Length, ids);
        }
    }

    /// <summary>Longest match over text already normalised; appends the ids (each token covers at least one byte).</summary>
    internal void Run(byte* text, long length, IdBuffer ids)
    {
        if (length == 0) return;
        if (length > int.MaxValue) throw new ArgumentException($"a text of {length} bytes is too long for one call");
        Span<int> room = ids.Reserve((int)length);
        fixed (int* o = room)
        {
            long n = LongestMatch.Run(_lease.Profile.Walk, text, length, o, room.Length);
            ids.Commit((int)Math.Min(n, room.Length));
        }
    }

    internal override int IndependentCut(ReadOnlySpan<byte> text)
    {
        bool[] initialOnly = InitialOnly();
        bool nfc = Normalization != TextNormalization.None;
        for (int c = text.Length - 1; c > 0; c--)
        {
            if (!initialOnly[text[c]]) continue;
            // NFC: the byte must reach the matcher unchanged, so nothing after it may compose with
            // it (e + U+0301 becomes é): an ASCII byte next is enough.
            if (nfc && (c + 1 >= text.Length || text[c + 1] >= 0x80)) continue;
            return c;
        }
        return -1;
    }

    public override void Dispose() => _lease.Dispose();
}

/// <summary>
/// A longest-match session. The token starting at position i is decided by bytes i .. i +
/// MaxTokenBytes - 1 alone (no token is longer, so the trie walk cannot look further), so after
/// matching the held text every token that starts at least MaxTokenBytes before its end is final;
/// the rest is matched again with the next piece. NFC profiles first normalise up to the last
/// normalisation boundary (<see cref="Nfc.LastSafeCut"/>) and match the normalised text.
/// </summary>
internal sealed unsafe class LongestMatchStream : TokenStream
{
    private readonly LongestMatchEngine _engine;
    private readonly ByteQueue? _normalized;   // NFC profiles: normalised text waiting for lookahead
    private readonly IdBuffer _scratch = new();
    private int _nfcFloor;

    public LongestMatchStream(LongestMatchEngine engine)
    {
        _engine = engine;
        if (engine.Normalization != TextNormalization.None) _normalized = new ByteQueue();
    }

    private protected override void Advance(bool final)
    {
        ByteQueue text = Pending;
        if (_normalized != null)
        {
            ReadOnlySpan<byte> raw = Pending.Span;
            int r = final ? raw.Length : Nfc.LastSafeCut(raw, _nfcFloor);
            if (r > 0)
            {
                fixed (byte* p = raw)
                {
                    using NormalizedText n = Nfc.Normalize(p, r);
                    _normalized.Append(n.Span);
                }
                Pending.Consume(r);
                Offset += r;
            }
            // Positions checked stay no boundary, except the last code point, which may be incomplete.
            _nfcFloor = Math.Max(0, Pending.Length - 4);
            text = _normalized;
        }

        int length = text.Length;
        int lookahead = _engine.MaxTokenBytes;
        if (length == 0 || (!final && length <= lookahead)) return;
        _scratch.Clear();
        fixed (byte* p = text.Span) _engine.Run(p, length, _scratch);

        var image = _engine.Profile.Image;
        ReadOnlySpan<int> ids = _scratch.Span;
        int pos = 0, keep = 0;
        for (; keep < ids.Length; keep++)
        {
            if (!final && pos > length - lookahead) break;   // may still grow with the next piece
            int len = image.TokenAt(ids[keep]).Length;
            if (len <= 0 || len > length - pos)
                throw new Dat.DatFormatException($"invalid .dat: token {ids[keep]} has {len} bytes where the trie matched others ({_engine.Describe()}; run `crayon verify`)");
            pos += len;
        }
        if (final && pos != length)
            throw new Dat.DatFormatException($"invalid .dat: the token table covers {pos} of {length} bytes matched ({_engine.Describe()})");
        Ready.AddRange(ids[..keep]);
        text.Consume(pos);
        if (_normalized == null) Offset += pos;
    }

    private protected override void Restart()
    {
        _normalized?.Clear();
        _nfcFloor = 0;
    }
}
