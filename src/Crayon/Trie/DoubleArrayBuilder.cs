using System.Runtime.CompilerServices;
namespace Crayon.Trie;

/// <summary>
/// Builds a double-array trie over byte strings. Layout invariants the tokenizer relies on:
/// node 0 is the root with Base 1, so the node of a one-byte string c is 1 + c (the first-byte table);
/// every one of the 256 byte values is a key; every node's Base + 255 is inside the array.
/// Placement is first-fit in a fixed order (keys sorted bytewise, children in byte order, depth first),
/// so the same keys always give the same array.
/// <para>
/// For the .dat (<see cref="BuildUnique"/>) no two nodes share a base, so that a cell can be checked by
/// its label instead of its parent (<see cref="Crayon.Dat.TrieCell"/>): a base that fits but is already
/// another node's is skipped.
/// </para>
/// <para>
/// With tails (<see cref="BuildUnique"/> with withTails), a node that has exactly one key below it and is not a key
/// itself is not expanded: the rest of that key is its <see cref="Tail"/>, a string the walk compares
/// at once. In a vocabulary of tokens this is most of the trie (58 % of the cells of a 50k list, 64 %
/// of a 250k one: one-child chains down to a leaf token), so the array shrinks to about a third.
/// </para>
/// </summary>
internal sealed class DoubleArrayBuilder
{
    /// <summary>A node kept unexpanded: <see cref="Key"/>[<see cref="Start"/>..] is the rest of its one key (1 to <see cref="MaxTailBytes"/> bytes).</summary>
    public readonly record struct Tail(int Node, byte[] Key, int Start, int Value);

    /// <summary>The longest tail (a tail's length is one byte in the .dat); a longer rest is expanded until what is left fits.</summary>
    public const int MaxTailBytes = 255;

    private readonly bool _withTails;
    private readonly bool _uniqueBases;
    private readonly List<Tail> _tails = [];

    private int[] _base = new int[1024];
    private int[] _check = new int[1024];
    private int[] _value = new int[1024];
    private int[] _nextFree = new int[1024]; // union-find style "next unused index >= i"
    private bool[] _isBase = new bool[1024];  // some node's base already (unique bases only)
    private byte[] _fails = new byte[1024];   // failed fits of a free cell as a first child (retireAfter only)
    private int _retireAfter;
    private int _size;                        // highest used index + 1

    /// <summary>
    /// keys: distinct multi-byte keys with their values (ids ≥ 0). byteValue(c) gives the value of
    /// the single byte c. Returns the node array.
    /// </summary>
    public static TrieNode[] Build(IReadOnlyList<(byte[] Key, int Value)> keys, Func<int, int> byteValue) =>
        new DoubleArrayBuilder(withTails: false, uniqueBases: false).Run(Sorted(keys), byteValue);

    /// <summary>
    /// As <see cref="Build"/>, with every base used by one node only, and with tails when asked: the
    /// returned nodes then hold each tail node with its key's value and no children (the caller stores
    /// the tail).
    /// </summary>
    /// <param name="retireAfter">
    /// 0: first fit, the densest placement (the .dat's). Otherwise a free cell that was tried this many
    /// times as a node's first child and failed is no longer tried as one (it may still take other
    /// children): with unique bases, the free cells left among used ones mostly give bases already
    /// taken, and scanning them again for every node doubled the backtracking encoder's build time.
    /// </param>
    public static (TrieNode[] Nodes, List<Tail> Tails) BuildUnique(IReadOnlyList<(byte[] Key, int Value)> keys, Func<int, int> byteValue, bool withTails, int retireAfter = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retireAfter);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(retireAfter, byte.MaxValue);   // counted in a byte per cell
        var builder = new DoubleArrayBuilder(withTails, uniqueBases: true) { _retireAfter = retireAfter };
        TrieNode[] nodes = builder.Run(Sorted(keys), byteValue);
        return (nodes, builder._tails);
    }

    private DoubleArrayBuilder(bool withTails, bool uniqueBases)
    {
        _withTails = withTails;
        _uniqueBases = uniqueBases;
    }

    private static (byte[] Key, int Value)[] Sorted(IReadOnlyList<(byte[] Key, int Value)> keys)
    {
        var sorted = new (byte[] Key, int Value)[keys.Count];
        for (int i = 0; i < sorted.Length; i++)
        {
            if (keys[i].Key.Length < 2) throw new ArgumentException("multi-byte keys only; single bytes are implicit");
            sorted[i] = keys[i];
        }
        Array.Sort(sorted, static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i - 1].Key.AsSpan().SequenceEqual(sorted[i].Key))
                throw new ArgumentException("duplicate key");
        return sorted;
    }

    private TrieNode[] Run((byte[] Key, int Value)[] keys, Func<int, int> byteValue)
    {
        InitCells(0, _base.Length);
        // Root and the first-byte table.
        Use(0, -1, -1);
        _base[0] = 1;
        _isBase[1] = true;
        for (int c = 0; c < 256; c++) Use(1 + c, 0, byteValue(c));

        // Work items: (node, lo, hi, depth) — keys[lo..hi) share the node's prefix of length depth.
        var stack = new Stack<(int Node, int Lo, int Hi, int Depth)>();
        // Group keys by first byte, in reverse so the stack pops byte 0 first (deterministic either way).
        var groups = new List<(int Node, int Lo, int Hi)>();
        for (int lo = 0; lo < keys.Length;)
        {
            byte c = keys[lo].Key[0];
            int hi = lo;
            while (hi < keys.Length && keys[hi].Key[0] == c) hi++;
            groups.Add((1 + c, lo, hi));
            lo = hi;
        }
        for (int g = groups.Count - 1; g >= 0; g--) stack.Push((groups[g].Node, groups[g].Lo, groups[g].Hi, 1));

        Span<byte> labels = stackalloc byte[256];
        Span<int> childLo = stackalloc int[257];
        Span<bool> isTail = stackalloc bool[256];
        while (stack.Count > 0)
        {
            var (node, lo, hi, depth) = stack.Pop();
            // The key equal to the prefix (if any) sorts first and was already given to the node.
            int start = lo;
            if (keys[start].Key.Length == depth) start++;
            if (start >= hi) continue;
            int n = 0;
            for (int i = start; i < hi;)
            {
                byte c = keys[i].Key[depth];
                labels[n] = c; childLo[n] = i; n++;
                while (i < hi && keys[i].Key[depth] == c) i++;
            }
            childLo[n] = hi;
            int b = FindBase(labels[..n]);
            _base[node] = b;
            _isBase[b] = true;
            for (int k = 0; k < n; k++)
            {
                int lo2 = childLo[k];
                byte[] key = keys[lo2].Key;
                int rest = key.Length - (depth + 1);
                isTail[k] = _withTails && childLo[k + 1] - lo2 == 1 && rest >= 1 && rest <= MaxTailBytes;
                Use(b + labels[k], node, rest == 0 || isTail[k] ? keys[lo2].Value : -1);
                if (isTail[k]) _tails.Add(new Tail(b + labels[k], key, depth + 1, keys[lo2].Value));
            }
            for (int k = n - 1; k >= 0; k--)
                if (!isTail[k]) stack.Push((b + labels[k], childLo[k], childLo[k + 1], depth + 1));
        }

        // Pad so that Base + 255 of every node is inside the array (no bounds check in the walk).
        int maxBase = 0;
        for (int i = 0; i < _size; i++) maxBase = Math.Max(maxBase, _base[i]);
        int count = Math.Max(_size, maxBase + 256);
        Ensure(count);
        var nodes = new TrieNode[count];
        for (int i = 0; i < count; i++)
        {
            bool used = i < _size && _check[i] != TrieNode.Free; // the root's building mark counts as used
            nodes[i] = used
                ? new TrieNode { Base = _base[i], Check = i == 0 ? TrieNode.Free : _check[i], Value = _value[i] }
                : new TrieNode { Base = 0, Check = TrieNode.Free, Value = -1 };
        }
        return nodes;
    }

    private int FindBase(ReadOnlySpan<byte> labels)
    {
        byte c0 = labels[0];
        // Candidate positions for the first label are the unused cells, in increasing order.
        for (int f = NextFree(Math.Max(c0 + 1, 257)); ; f = NextFree(f + 1))
        {
            int b = f - c0;
            if (b < 1) continue;
            Ensure(b + 256);
            bool ok = !(_uniqueBases && _isBase[b]);
            for (int k = 1; ok && k < labels.Length; k++)
                if (_check[b + labels[k]] != TrieNode.Free) ok = false;
            if (ok) return b;
            if (_retireAfter > 0 && ++_fails[f] >= _retireAfter) _nextFree[f] = f + 1;   // as Use does
        }
    }

    private void Use(int index, int parent, int value)
    {
        Ensure(index + 1);
        _check[index] = parent;
        _value[index] = value;
        _base[index] = 0;
        _nextFree[index] = index + 1; // unused cells point to themselves
        if (index + 1 > _size) _size = index + 1;
        if (index == 0) _check[0] = int.MinValue; // marks the root as used during building
    }

    private int NextFree(int i)
    {
        Ensure(i + 1);
        int r = i;
        while (_nextFree[r] != r) { r = _nextFree[r]; Ensure(r + 1); }
        // Path compression.
        while (_nextFree[i] != i) { int next = _nextFree[i]; _nextFree[i] = r; i = next; }
        return r;
    }

    // Called for every candidate base and every hop of NextFree: the check inline, the growth not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int size)
    {
        if (size > _base.Length) Grow(size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int size)
    {
        int old = _base.Length;
        int cap = Math.Max(size, old * 2);
        Array.Resize(ref _base, cap);
        Array.Resize(ref _check, cap);
        Array.Resize(ref _value, cap);
        Array.Resize(ref _nextFree, cap);
        Array.Resize(ref _isBase, cap);
        Array.Resize(ref _fails, cap);
        InitCells(old, cap);
    }

    private void InitCells(int from, int to)
    {
        for (int i = from; i < to; i++) { _check[i] = TrieNode.Free; _value[i] = -1; _nextFree[i] = i; }
    }
}
