using Crayon.Dat;
using Crayon.Profiles;

namespace Crayon.Gpu;

/// <summary>
/// The kernels' view of a profile's trie: three int arrays, one entry per cell: base, check (the
/// parent cell, or -1 for a free cell), value (the token id where a token ends, else -1). This is the
/// one place that knows the .dat cell layout on the GPU side (format 3: <see cref="TrieCell"/> plus the
/// value array); a new layout only changes <see cref="Flatten"/>. The profile is fully verified first
/// (the upload reads every cell anyway), so the device never meets a cell the CPU would reject; the
/// kernels still clamp every index, so any values are memory-safe.
/// </summary>
internal static unsafe class DeviceTrie
{
    public static (int[] Base, int[] Check, int[] Value) Flatten(Profile profile)
    {
        profile.Verify();
        DatImage image = profile.Image;
        int n = image.NodeCount;
        var b = new int[n];
        var c = new int[n];
        var v = new int[n];
        for (int i = 0; i < n; i++)
        {
            ulong cell = image.Cells[i];
            b[i] = (int)TrieCell.Base(cell);
            c[i] = TrieCell.IsFree(cell) ? -1 : (int)TrieCell.Parent(cell);
            v[i] = TrieCell.IsTerminal(cell) ? image.Values[i] : -1;
        }
        return (b, c, v);
    }
}
