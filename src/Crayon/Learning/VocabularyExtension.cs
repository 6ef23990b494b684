using Crayon.Dat;
using Crayon.Profiles;

namespace Crayon.Learning;

/// <summary>
/// Grows a profile without renumbering it: the child's list is the parent's learned tokens in id order
/// followed by the new ones, so every id of the parent keeps its token (specials and byte tokens never
/// move) and the new ids come after the old ones. New tokens that equal an existing token, or each
/// other, are skipped. The child keeps the parent's normalisation and records its lineage (the
/// parent's vocabulary version + 1 and checksum). Extending with list A and then with list B gives the
/// same profile as extending once with A followed by B: the same bytes but for the lineage fields
/// (version 3 with the intermediate as parent, instead of version 2) and the checksum.
/// </summary>
public static class VocabularyExtension
{
    /// <summary>The parent's learned tokens (ids 260 … vocab_size − 1), in id order.</summary>
    public static List<byte[]> LearnedTokens(Profile parent)
    {
        var tokens = new List<byte[]>(parent.VocabSize - DatLayout.FirstLearnedId);
        for (int id = DatLayout.FirstLearnedId; id < parent.VocabSize; id++) tokens.Add(parent.Image.TokenAt(id).ToArray());
        return tokens;
    }

    /// <summary>The child image: parent ids unchanged, then <paramref name="added"/> in order.</summary>
    public static byte[] Build(Profile parent, IReadOnlyList<byte[]> added, string name, string source)
    {
        parent.Verify();   // a corrupt parent's tokens would pass into the child
        List<byte[]> list = LearnedTokens(parent);
        list.AddRange(added);
        byte[] image = DatWriter.Build(list, name, source, parent.Image.Normalization, Lineage.ChildOf(parent.Image));
        // DatWriter skips empty, one-byte and repeated entries; none of the parent's can be skipped, so
        // its ids are unchanged. Checked rather than assumed: a renumbered child would be silent damage.
        Profile child = Profile.FromBytes(image);
        try
        {
            for (int id = DatLayout.FirstLearnedId; id < parent.VocabSize; id++)
                if (!child.Image.TokenAt(id).SequenceEqual(parent.Image.TokenAt(id)))
                    throw new InvalidOperationException($"extending would move token {id}; nothing was built");
        }
        finally { child.Release(); }
        return image;
    }
}
