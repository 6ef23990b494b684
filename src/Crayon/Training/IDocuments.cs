namespace Crayon.Training;

/// <summary>A batch of UTF-8 documents, read by index from any thread.</summary>
internal interface IDocuments
{
    int Count { get; }
    ReadOnlySpan<byte> this[int index] { get; }
}

/// <summary>Documents held in managed arrays.</summary>
internal sealed class ArrayDocuments(IReadOnlyList<byte[]> docs) : IDocuments
{
    public int Count => docs.Count;
    public ReadOnlySpan<byte> this[int index] => docs[index];

    public static ArrayDocuments FromStrings(params string[] texts)
    {
        var list = new byte[texts.Length][];
        for (int i = 0; i < texts.Length; i++) list[i] = System.Text.Encoding.UTF8.GetBytes(texts[i]);
        return new ArrayDocuments(list);
    }
}
