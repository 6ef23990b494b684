using Crayon.Dat;
using Crayon.Profiles;

namespace Crayon.Gpu;

/// <summary>
/// The kernels' view of a profile's trie: three int arrays, one entry per cell: base, check (the
/// parent cell, or -1 for a free cell), value (the token id where a token ends, else -1). This is the
/// one place that knows the .dat cell layout on the GPU side (format 5: <see cref="TrieCell"/>, the
/// value array and the tails); a new layout only changes <see cref="Flatten"/>. The file's cells are
/// checked by label, the kernels' by parent, which <see cref="DatImage.Parents"/> gives. The kernels
/// walk plain cells, so each tail is expanded here into a chain of cells appended after the file's
/// (each chain cell has one child, placed right after it). The profile is fully verified first (the upload reads
/// every cell anyway), so the device never meets a cell the CPU would reject; the kernels still clamp
/// every index, so any values are memory-safe.
/// </summary>
internal static unsafe class DeviceTrie
{
    public static (int[] Base, int[] Check, int[] Value) Flatten(Profile profile)
    {
        profile.Verify();
        DatImage image = profile.Image;
        int n = image.NodeCount;
        long chain = 0;
        for (int i = 0; i < n; i++)
            if (TrieCell.IsTail(image.Cells[i]) && image.TryTail(image.Cells[i], out ReadOnlySpan<byte> rest)) chain += rest.Length;
        // A step from the last chain cell may reach base + 255: pad so every index the kernels form is in the arrays.
        long total = n + chain + (chain > 0 ? 256 : 0);
        if (total > int.MaxValue / 4) throw new GpuException($"the trie has too many cells for the device once its tails are expanded ({total})");
        var b = new int[total];
        var c = new int[total];
        var v = new int[total];
        Array.Fill(c, -1, n, (int)(total - n));
        Array.Fill(v, -1, n, (int)(total - n));
        int[] parents = image.Parents();
        int next = n;
        for (int i = 0; i < n; i++)
        {
            uint cell = image.Cells[i];
            c[i] = parents[i];
            if (!TrieCell.IsTail(cell))
            {
                b[i] = (int)TrieCell.Base(cell);
                v[i] = TrieCell.IsTerminal(cell) ? image.Values[i] : -1;
                continue;
            }
            image.TryTail(cell, out ReadOnlySpan<byte> bytes);
            v[i] = -1;
            int at = i;
            foreach (byte x in bytes)
            {
                b[at] = next - x;   // next ≥ n > 256 > x: a positive base
                c[next] = at;
                at = next++;
            }
            v[at] = image.Values[i];
        }
        return (b, c, v);
    }
}
