using Crayon.Profiles;

namespace Crayon.Gpu;

/// <summary>
/// The kernels' view of a profile's trie: three int arrays (base, check, value), one entry per node.
/// This is the one place that knows the .dat node layout on the GPU side; a new layout only changes
/// <see cref="Flatten"/>. The kernels clamp every index, so any values are memory-safe.
/// </summary>
internal static unsafe class DeviceTrie
{
    public static (int[] Base, int[] Check, int[] Value) Flatten(Profile profile)
    {
        int n = profile.Image.NodeCount;
        var b = new int[n];
        var c = new int[n];
        var v = new int[n];
        Trie.TrieNode* nodes = profile.Image.Nodes;
        for (int i = 0; i < n; i++)
        {
            b[i] = nodes[i].Base;
            c[i] = nodes[i].Check;
            v[i] = nodes[i].Value;
        }
        return (b, c, v);
    }
}
