namespace Crayon.HfJson;

/// <summary>
/// GPT-2's byte-level alphabet, as tokenizer.json files spell tokens: printable Latin-1 bytes stand for
/// themselves, every other byte for a character from U+0100 up, in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_charOf = Build();
    private static readonly Dictionary<char, byte> s_byteOf = Invert(s_charOf);

    private static char[] Build()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
            chars[b] = (b is >= '!' and <= '~') || (b is >= 0xA1 and <= 0xAC) || b >= 0xAE ? (char)b : (char)next++;
        return chars;
    }

    private static Dictionary<char, byte> Invert(char[] chars)
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[chars[b]] = (byte)b;
        return map;
    }

    public static char CharOf(byte b) => s_charOf[b];

    /// <summary>The bytes a token string stands for, or null when a character is outside the alphabet.</summary>
    public static byte[]? BytesOf(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!s_byteOf.TryGetValue(token[i], out byte b)) return null;
            bytes[i] = b;
        }
        return bytes;
    }
}

/// <summary>A tokenizer.json this library cannot reproduce exactly; the message names the component.</summary>
public sealed class UnsupportedTokenizerException(string message) : NotSupportedException(message);
