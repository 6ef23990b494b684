using System.Runtime.InteropServices;

namespace Crayon.Normalization;

/// <summary>
/// What a profile does to text before matching (the .dat header's flags, docs/dat-format.md).
/// The values are the header bits, and the bits of crayon_dat_build's flags (CRAYON_DAT_NFC).
/// </summary>
public enum TextNormalization
{
    /// <summary>Bytes are matched as given: decode(tokenize(x)) == x.</summary>
    None = 0,

    /// <summary>Valid UTF-8 is put in Unicode Normalization Form C first: decode(tokenize(x)) == NFC(x).</summary>
    Nfc = 1,
}

/// <summary>
/// Text as the tokenizer reads it: the caller's bytes when normalisation left them unchanged (no
/// copy), or a normalised copy in native memory that <see cref="Dispose"/> frees. Use with <c>using</c>.
/// </summary>
internal readonly unsafe struct NormalizedText : IDisposable
{
    public readonly byte* Pointer;
    public readonly long Length;
    private readonly byte* _owned;

    public NormalizedText(byte* pointer, long length, bool owned)
    {
        Pointer = pointer; Length = length; _owned = owned ? pointer : null;
    }

    /// <summary>True when this is a normalised copy (the input was not NFC).</summary>
    public bool IsCopy => _owned != null;

    public ReadOnlySpan<byte> Span => new(Pointer, checked((int)Length));

    public void Dispose()
    {
        if (_owned != null) NativeMemory.Free(_owned);
    }
}
