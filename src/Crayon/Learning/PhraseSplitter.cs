using System.Buffers;
using System.Text;
using Crayon.Training;

namespace Crayon.Learning;

/// <summary>
/// Cuts text into the phrases the learner counts. Unlike a BPE pre-tokenizer it does not stop at
/// spaces or word classes, so learned tokens may span words (" of the", "\n    return "), which is
/// where greedy longest match gains most over word-bounded vocabularies. A phrase is a run of line
/// feeds followed by the rest of the line (so "\n" + indentation can become one token), at most
/// maxBytes bytes: a longer line is cut before its last space in the second half of the limit, else at
/// the last character boundary. Invalid UTF-8 is never part of a phrase: it ends the current one and
/// is skipped, so a learned token never holds a byte sequence that valid text cannot produce.
/// </summary>
internal sealed class PhraseSplitter : IChunkSplitter
{
    private readonly int _maxBytes;

    public PhraseSplitter(int maxBytes)
    {
        if (maxBytes < 4) throw new ArgumentOutOfRangeException(nameof(maxBytes), "a phrase must allow at least 4 bytes");
        _maxBytes = maxBytes;
    }

    public string Pattern => $"phrases of up to {_maxBytes} bytes";

    public void Split(ReadOnlySpan<byte> text, IChunkSink sink)
    {
        int start = 0, i = 0;
        int lastSpace = -1;            // where the current phrase's last space (after its start) begins
        bool inLine = false;           // past the leading line feeds
        while (i < text.Length)
        {
            byte b = text[i];
            int width = 1;
            if (b >= 0x80 && Rune.DecodeFromUtf8(text[i..], out _, out width) != OperationStatus.Done)
            {
                if (i > start) sink.OnChunk(text[start..i]);
                i += Math.Max(width, 1);
                start = i; lastSpace = -1; inLine = false;
                continue;
            }
            if (b == (byte)'\n' && inLine)
            {
                sink.OnChunk(text[start..i]);   // the line ends; its line feeds lead the next phrase
                start = i; lastSpace = -1; inLine = false;
            }
            else if (b != (byte)'\n')
            {
                inLine = true;
            }
            if (i + width - start > _maxBytes)
            {
                int cut = lastSpace > start + _maxBytes / 2 ? lastSpace : i;
                sink.OnChunk(text[start..cut]);
                start = cut; lastSpace = -1;
                inLine = true;
                continue;                        // re-examine i against the new start
            }
            if (b == (byte)' ' && i > start) lastSpace = i;
            i += width;
        }
        if (i > start) sink.OnChunk(text[start..i]);
    }
}

