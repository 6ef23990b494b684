using System.Text;
using Crayon.Dat;
using Crayon.Profiles;

namespace Crayon.Tests.Engine;

/// <summary>Small real-looking vocabularies and texts shared by the engine tests.</summary>
internal static class EngineFixtures
{
    public const string Sample =
        "The quick brown fox jumps over the lazy dog. Tokenizers turn text into integers; " +
        "the longest match wins. Ünïcödé — ça marche, 日本語のテキスト, emoji 🖍️🚀 too.\n\tint main(void) { return 0; }\n";

    /// <summary>Random multi-byte tokens over a small alphabet, so that many share prefixes.</summary>
    public static List<byte[]> RandomVocabulary(Random rng, int count, string alphabet = "abcde ")
    {
        var list = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            int len = rng.Next(2, 9);
            var sb = new StringBuilder();
            for (int k = 0; k < len; k++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
            list.Add(Encoding.UTF8.GetBytes(sb.ToString()));
        }
        return list;
    }

    public static List<byte[]> Words(params string[] words) => words.Select(w => Encoding.UTF8.GetBytes(w)).ToList();

    public static List<byte[]> SampleVocabulary() =>
        Words("the", " the", "The", " quick", " brown", " fox", " jump", " jumps", " over", " lazy", " dog", "ing",
              " token", " tokenizer", "izers", " text", " into", " integers", " longest", " match", " wins",
              "日本", "日本語", "テキスト", "🖍️", " emoji", "ça", " marche", " int", " main", "(void)", " return", "\n\t");

    public static Profile Load(List<byte[]> tokens, string name = "test") => Profile.FromBytes(DatWriter.Build(tokens, name, "tests"));

    public static byte[] RandomBytes(Random rng, int length)
    {
        var b = new byte[length];
        rng.NextBytes(b);
        return b;
    }
}
