using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Crayon.Bpe;
using Crayon.PreTokenize;

namespace Crayon.Streaming;

/// <summary>BPE for streaming: an encoding, its special-token policy, and the cut rule (<see cref="PieceCuts"/>).</summary>
internal sealed class BpeEngine : TokenEngine
{
    private readonly BpeEncoding _encoding;
    private readonly SpecialPolicy _policy;

    public BpeEngine(BpeEncoding encoding, SpecialPolicy policy)
    {
        _encoding = encoding ?? throw new ArgumentNullException(nameof(encoding));
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        Cuts = new PieceCuts(encoding, policy);
    }

    internal PieceCuts Cuts { get; }

    public override int IdLimit => _encoding.NVocab;

    public override string Describe() => $"a BPE encoding of {_encoding.NVocab} ids";

    public override TokenStream OpenStream() => new BpeStream(this);

    internal override void EncodeWhole(ReadOnlySpan<byte> text, IdBuffer ids, long offset)
    {
        if (!Utf8.IsValid(text)) throw InvalidAt(text, offset);
        EncodeValid(text, ids, offset);
    }

    /// <summary>Encodes text already checked as UTF-8.</summary>
    internal void EncodeValid(ReadOnlySpan<byte> text, IdBuffer ids, long offset)
    {
        var w = TokenWriter.Growing(text.Length / 3 + 16);
        try
        {
            _encoding.EncodeValid(text, _policy, ref w);
            ids.AddRange(w.Written);
        }
        catch (DisallowedSpecialException e)
        {
            throw new DisallowedSpecialException(e.Token, (int)Math.Min(int.MaxValue, offset + e.Offset));
        }
        finally { w.Dispose(); }
    }

    internal override int IndependentCut(ReadOnlySpan<byte> text)
    {
        int floor = 0;
        return Cuts.Last(text, ref floor);
    }

    internal static InvalidUtf8Exception InvalidAt(ReadOnlySpan<byte> text, long offset)
    {
        long at = offset + InvalidUtf8Exception.At(text).Offset;
        return new InvalidUtf8Exception($"text is not valid UTF-8 (first invalid byte at offset {at})", (int)Math.Min(int.MaxValue, at));
    }
}

/// <summary>
/// A BPE session: checks UTF-8 as it comes (a character split between pieces waits for its last
/// byte), and encodes the held text up to its last cut (<see cref="PieceCuts"/>) as a whole text.
/// </summary>
internal sealed class BpeStream(BpeEngine engine) : TokenStream
{
    private int _valid;       // Pending[.._valid] is checked UTF-8
    private int _cutFloor;    // positions up to here are known not to be cuts

    private protected override void Advance(bool final)
    {
        ReadOnlySpan<byte> text = Pending.Span;
        _valid = CheckUtf8(text, _valid, final);
        int cut = final ? text.Length : engine.Cuts.Last(text[.._valid], ref _cutFloor);
        if (cut <= 0) return;
        engine.EncodeValid(text[..cut], Ready, Offset);
        Pending.Consume(cut);
        Offset += cut;
        _valid -= cut;
        _cutFloor = Math.Max(0, _cutFloor - cut);
    }

    /// <summary>
    /// Validates text[from..]; returns the end of the valid part. Unless final, an incomplete
    /// character at the very end is left for the next piece; anything else invalid throws.
    /// </summary>
    private int CheckUtf8(ReadOnlySpan<byte> text, int from, bool final)
    {
        int end = text.Length;
        if (!final)
        {
            int i = end - 1;
            while (i >= from && end - i <= 3 && (text[i] & 0xC0) == 0x80) i--;
            // Held back only when it can still become a character (not a stray or impossible byte).
            if (i >= from && Rune.DecodeFromUtf8(text[i..end], out _, out _) == OperationStatus.NeedMoreData) end = i;
        }
        ReadOnlySpan<byte> part = text[from..end];
        if (!Utf8.IsValid(part)) throw BpeEngine.InvalidAt(part, Offset + from);
        return end;
    }

    private protected override void Restart()
    {
        _valid = 0;
        _cutFloor = 0;
    }
}
