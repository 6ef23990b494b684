using System.Runtime.InteropServices;

namespace Crayon.Trie;

/// <summary>
/// One double-array cell, stored exactly like this (12 bytes, little-endian) in the .dat file and read
/// in place from the mapping. Moving from node s on byte c goes to t = Base(s) + c when Check(t) == s.
/// Keeping base, check and value side by side means one cache line per step of the walk.
/// Value ranges (enforced by the loader): 0 ≤ Base ≤ node_count − 256, −1 ≤ Check &lt; node_count,
/// −1 ≤ Value &lt; vocab_size (−1: no token ends here).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct TrieNode
{
    public int Base;
    public int Check;
    public int Value;

    public const int Size = 12;
    public const int Free = -1;
}
