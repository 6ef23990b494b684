using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Crayon.Trie;

namespace Crayon.Bpe;

/// <summary>
/// Exact BPE of one long piece in time linear in its length, without simulating the merges.
/// <para>
/// BPE's output is the only "valid" token sequence for a text: the one that merging its own bytes
/// gives back. A sequence is valid exactly when each adjacent pair of its tokens is (merging the
/// bytes of two neighbours never reaches across them, and the merges inside each token are the same
/// as on its own), so the encoder builds the answer left to right: it proposes the longest token at
/// the current position, then ever shorter tokens that are prefixes of it, and keeps the first one
/// that forms a valid pair with the previous token. When none does, the previous token was wrong:
/// it is taken back and its own shorter prefixes are tried. A bit per position remembers the
/// positions proven not to be token boundaries, so no position is ever re-explored: the work is
/// linear, with a constant bounded by the longest token.
/// </para>
/// <para>
/// Whether two tokens form a valid pair is decided by undoing their merges: each token was made by
/// one merge of two smaller tokens (its split, what BPE does to its own bytes), and while the left
/// token's right edge and the right token's left edge are undone in reverse merge order, a token
/// across the boundary (a pair recorded as some token's split) that BPE would have merged before the
/// merge that ended that state proves the pair invalid. This is the design of the backtracking
/// encoder of GitHub's <c>bpe</c> crate (github.com/github/rust-gems), reimplemented here.
/// </para>
/// <para>
/// It is exact when every token's split has lower ranks than the token itself (merges then happen
/// in rank order); <see cref="TryBuild"/> checks that for every token and returns null for a
/// vocabulary where it does not hold (the heap and bucket merges, which simulate BPE, serve it).
/// Tokens that BPE can never produce (its own bytes merge into something else) are left out.
/// Immutable once built: any number of threads may encode with one instance.
/// </para>
/// </summary>
internal sealed class BacktrackingEncoder
{
    /// <summary>What the build works out for one rank's walk; the encoder keeps it packed in <see cref="_shape"/>.</summary>
    private struct TokenInfo
    {
        public int Length;  // bytes; 0 when the rank is not a producible token
        public int Shorter; // the longest producible token that is a proper prefix, or -1
    }

    // The trie of every producible token, one 4-byte cell per node: label | token << 8 | used << 9 |
    // base << 10, every base used by one node only, so a step that lands on a used cell with its byte
    // as the label came from that cell's parent (as in the .dat's format 5); the rank of a cell where a
    // token ends is in _cellRank, read once per walk. The walk is a chain of dependent loads (a fifth of
    // the time on random letters): 8-byte cells with the parent and rank inside measured 0.94–0.97× on
    // random CJK and 0.97–1.0× on random letters; 12-byte nodes, a third more memory, 3–6 % slower again.
    private readonly uint[] _cells;
    private readonly int[] _cellRank;
    private const uint TokenBit = 1u << 8;
    private const uint UsedBit = 1u << 9;
    private const int BaseShift = 10;
    private const int MaxCells = 1 << (32 - BaseShift);
    // Per rank, apart by who reads them (one 16-byte record for both measured 2–3 % slower on random
    // CJK, the same on random letters): the walk reads a token's length and its next shorter prefix,
    // length | (shorter + 1) << 10; the pair check reads the parts of its last merge, (uint)left |
    // (ulong)(uint)right << 32, -1 for a single byte.
    private readonly uint[] _shape;
    private readonly ulong[] _split;
    private const int LengthBits = 10;
    private const uint LengthMask = (1u << LengthBits) - 1;
    private readonly PairTable _pairs;       // (left, right) → the rank of the token whose split they are

    private BacktrackingEncoder(uint[] cells, int[] cellRank, int ranks, PairTable pairs)
    {
        _cells = cells;
        _cellRank = cellRank;
        _shape = new uint[ranks];   // filled at the end of the build, once every prefix chain is final
        _split = new ulong[ranks];
        Array.Fill(_split, ulong.MaxValue);
        _pairs = pairs;
    }

    /// <summary>Tokens left out because BPE never produces them (their bytes merge into other tokens).</summary>
    public int LeftOut { get; private set; }

    /// <summary>Bytes held by the tables (the memory the encoding gains once a long piece is seen).</summary>
    public long MemoryBytes => 4L * _cells.Length + 4L * _cellRank.Length + 4L * _shape.Length + 8L * _split.Length + _pairs.MemoryBytes;

    /// <summary>
    /// Builds the tables for the ordinary tokens (rank r: arena[offsets[r] .. + lengths[r]], offsets[r] &lt; 0
    /// for no token). Returns null when this design is not exact for the vocabulary: a byte without a
    /// token, a token whose last merge is not of two lower ranks, or ranks beyond the pair table's
    /// 21 bits (two million), or a trie of four million cells or more.
    /// </summary>
    public static BacktrackingEncoder? TryBuild(byte[] arena, int[] offsets, int[] lengths, BytePairMerger.Ranks ranks)
    {
        if (ranks.MaxRank > PairTable.MaxRank) return null;
        int nRanks = Math.Min(offsets.Length, ranks.MaxRank + 1);
        var keys = new List<(byte[] Key, int Value)>(nRanks);
        var byteRank = new int[256];
        Array.Fill(byteRank, -1);
        var info = new TokenInfo[nRanks];
        for (int r = 0; r < nRanks; r++)
        {
            info[r] = new TokenInfo { Shorter = -1 };
            if (offsets[r] < 0) continue;
            if ((uint)lengths[r] > LengthMask) return null;
            info[r].Length = lengths[r];
            if (lengths[r] == 1) byteRank[arena[offsets[r]]] = r;
            else keys.Add((arena.AsSpan(offsets[r], lengths[r]).ToArray(), r));
        }
        foreach (int r in byteRank) if (r < 0) return null;
        if (Pack(DoubleArrayBuilder.BuildUnique(keys, c => byteRank[c], withTails: false, retireAfter: 16).Nodes) is not var (cells, cellRank)) return null;
        var pairs = new PairTable(keys.Count);
        var encoder = new BacktrackingEncoder(cells, cellRank, nRanks, pairs);

        // Each token's longest proper prefix that is a token, by walking the trie once per token.
        for (int r = 0; r < nRanks; r++)
            if (info[r].Length > 1) info[r].Shorter = encoder.LongestMatch(arena.AsSpan(offsets[r], lengths[r] - 1));

        // Splits in rank order: a token's parts must be earlier tokens that form a valid pair under the
        // merges found so far (the pair table holds only lower ranks, so "valid" means: BPE restricted to
        // lower ranks stops at exactly these two parts, which the token's own rank then merges).
        var producible = new bool[nRanks];
        for (int r = 0; r < nRanks; r++)
        {
            if (info[r].Length == 0) continue;
            if (info[r].Length == 1) { producible[r] = true; continue; }
            ReadOnlySpan<byte> token = arena.AsSpan(offsets[r], lengths[r]);
            for (int left = info[r].Shorter; left >= 0; left = info[left].Shorter)
            {
                if (left > r || !producible[left]) continue;
                int right = ranks.Get(token[info[left].Length..]);
                if (right < 0 || right > r || !producible[right] || !encoder.IsValidPair(left, right)) continue;
                encoder._split[r] = (uint)left | (ulong)(uint)right << 32;
                pairs.Add(left, right, r);
                producible[r] = true;
                break;
            }
            if (producible[r]) continue;
            // No split of two lower ranks: either BPE never produces this token (its bytes merge into
            // other tokens; leave it out), or it does through a higher-ranked part, which this design
            // cannot follow.
            if (MergesIntoItself(ranks, token, r)) return null;
        }

        // Leave the tokens BPE never produces out of the trie and out of every prefix chain.
        for (int r = 0; r < nRanks; r++)
        {
            if (info[r].Length < 2 || producible[r]) continue;
            int cell = encoder.CellOf(arena.AsSpan(offsets[r], lengths[r]));
            cells[cell] &= ~TokenBit;
            cellRank[cell] = -1;
            info[r].Length = 0;
            encoder.LeftOut++;
        }
        for (int r = 0; r < nRanks; r++)
        {
            int s = info[r].Shorter;
            while (s >= 0 && !producible[s]) s = info[s].Shorter;
            info[r].Shorter = s;
        }
        for (int r = 0; r < nRanks; r++)
            encoder._shape[r] = (uint)info[r].Length | (uint)(info[r].Shorter + 1) << LengthBits;
        return encoder;
    }

    /// <summary>The trie (unique bases) in 4-byte cells and the rank per cell; null when its bases do not fit 22 bits.</summary>
    private static (uint[] Cells, int[] CellRank)? Pack(TrieNode[] trie)
    {
        if (trie.Length >= MaxCells) return null;
        var cells = new uint[trie.Length];
        var cellRank = new int[trie.Length];
        for (int i = 0; i < trie.Length; i++)
        {
            TrieNode n = trie[i];
            cellRank[i] = n.Value;
            uint cell = (uint)n.Base << BaseShift;
            // The root (no parent) and free cells stay unused: no step matches them.
            if (n.Check >= 0)
            {
                cell |= UsedBit | (uint)(i - trie[n.Check].Base);
                if (n.Value >= 0) cell |= TokenBit;
            }
            cells[i] = cell;
        }
        return (cells, cellRank);
    }

    /// <summary>The rank of the longest producible token that is a prefix of <paramref name="text"/> (-1: none).</summary>
    private int LongestMatch(ReadOnlySpan<byte> text) => LongestMatch(ref MemoryMarshal.GetReference(text), text.Length, out _);

    /// <summary>The cell of <paramref name="token"/>, which the trie holds.</summary>
    private int CellOf(ReadOnlySpan<byte> token)
    {
        int node = 0;
        foreach (byte b in token) node = (int)(_cells[node] >> BaseShift) + b;
        return node;
    }

    private static bool MergesIntoItself(BytePairMerger.Ranks ranks, ReadOnlySpan<byte> token, int rank)
    {
        var w = TokenWriter.Growing(token.Length);
        try
        {
            BytePairMerger.MergeWithHeap(ranks, token, ref w);
            return w.Count == 1 && w.Written[0] == rank;
        }
        finally { w.Dispose(); }
    }

    /// <summary>
    /// True when BPE turns the bytes of <paramref name="left"/> followed by those of
    /// <paramref name="right"/> into exactly these two tokens. Undoes the later merge of the two
    /// boundary tokens at each step (the higher rank; for one token on both sides, the right copy,
    /// which BPE merges second); at each state, a token across the boundary wins if its rank comes
    /// before the merge that ended the state (a tie goes to the boundary pair when that merge was on
    /// the right, since BPE takes the leftmost of equal ranks).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // into the encoder's loop: 1.02–1.07× on random CJK and letters
    private bool IsValidPair(int left, int right)
    {
        ref ulong split = ref MemoryMarshal.GetArrayDataReference(_split);
        int limit = int.MaxValue; // the boundary pair must rank at or above this to stay unmerged
        while (true)
        {
            int across = _pairs.Get(left, right);
            if ((uint)across < (uint)limit) return false;
            ulong l = Unsafe.Add(ref split, left), r = Unsafe.Add(ref split, right);
            int rLeft = (int)(uint)r;
            if ((int)(uint)l >= 0 && (rLeft < 0 || left > right))
            {
                limit = left;
                left = (int)(l >> 32);
            }
            else if (rLeft >= 0)
            {
                limit = right + 1;
                right = rLeft;
            }
            else return true;
        }
    }

    /// <summary>Writes the ranks of <paramref name="piece"/>'s BPE (at least one byte) to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<byte> piece, ref TokenWriter output)
    {
        // The answer is built in place, in the output's room when it has one id per byte (every token
        // has a byte), else in a rented array that is copied out.
        Span<int> room = output.Reserve(piece.Length);
        if (!room.IsEmpty)
        {
            output.Advance(EncodeInto(piece, room));
            return;
        }
        int[] tokens = ArrayPool<int>.Shared.Rent(piece.Length);
        try
        {
            int count = EncodeInto(piece, tokens);
            for (int k = 0; k < count; k++) output.Add(tokens[k]);
        }
        finally { ArrayPool<int>.Shared.Return(tokens); }
    }

    /// <summary>The BPE of <paramref name="piece"/> into <paramref name="tokens"/> (room for one per byte); returns how many.</summary>
    private int EncodeInto(ReadOnlySpan<byte> piece, Span<int> tokens)
    {
        int n = piece.Length;
        if (tokens.Length < n) throw new ArgumentException("room for one token per byte is needed", nameof(tokens));
        ulong[] notBoundaryArray = ArrayPool<ulong>.Shared.Rent((n >> 6) + 1);
        try
        {
            Array.Clear(notBoundaryArray, 0, (n >> 6) + 1);
            ref ulong notBoundary = ref MemoryMarshal.GetArrayDataReference(notBoundaryArray);
            ref int token = ref MemoryMarshal.GetReference(tokens);
            ref byte text = ref MemoryMarshal.GetReference(piece);
            ref uint shape = ref MemoryMarshal.GetArrayDataReference(_shape);
            int count = 0, pos = 0;
            // The last pair found valid: a run of one repeated pattern ("aaaa…", "-=-=…") asks the same
            // pair at every token, and its check undoes both tokens' merges each time.
            int validLeft = -1, validRight = -1;
            // The walk gives the longest candidate's length with it, so its end is known without
            // waiting for its shape; shorter candidates read theirs.
            int candidate = LongestMatch(ref text, n, out int end);
            int previous = -1;   // the last token kept, -1 before the first
            while (pos < n)
            {
                if ((Unsafe.Add(ref notBoundary, end >> 6) & (1UL << end)) == 0
                    && (count == 0 || (candidate == validRight && previous == validLeft) || IsValidPair(previous, candidate)))
                {
                    validLeft = previous;
                    validRight = candidate;
                    Unsafe.Add(ref token, count++) = candidate;
                    previous = candidate;
                    pos = end;
                    if (pos < n)
                    {
                        candidate = LongestMatch(ref Unsafe.Add(ref text, pos), n - pos, out int length);
                        end = pos + length;
                    }
                    continue;
                }
                int next = (int)(Unsafe.Add(ref shape, candidate) >> LengthBits) - 1;
                if (next >= 0)
                {
                    candidate = next;
                    end = pos + (int)(Unsafe.Add(ref shape, candidate) & LengthMask);
                    continue;
                }
                // Nothing valid starts here after the previous token, so no valid encoding has a token
                // boundary here: take the previous token back and try its shorter prefixes.
                if (count == 0) throw new InvalidOperationException("BPE backtracking found no encoding (a bug)");
                Unsafe.Add(ref notBoundary, pos >> 6) |= 1UL << pos;
                candidate = Unsafe.Add(ref token, --count);
                previous = count == 0 ? -1 : Unsafe.Add(ref token, count - 1);
                end = pos;
                pos -= (int)(Unsafe.Add(ref shape, candidate) & LengthMask);
                // Its end is now marked, so the loop moves straight on to its shorter prefixes.
            }
            return count;
        }
        finally { ArrayPool<ulong>.Shared.Return(notBoundaryArray); }
    }

    /// <summary>The rank of the longest producible token that is a prefix of the <paramref name="length"/>
    /// bytes from <paramref name="text"/> (-1: none), and its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LongestMatch(ref byte text, int length, out int matchLength)
    {
        ref uint cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        nint best = -1;
        matchLength = 0;
        uint cell = cells;
        for (int i = 0; i < length; i++)
        {
            // The builder pads the array so that Base + 255 of every node is inside it.
            uint c = Unsafe.Add(ref text, i);
            nint child = (nint)(cell >> BaseShift) + (nint)c;
            uint next = Unsafe.Add(ref cells, child);
            if ((next & (UsedBit | 0xFF)) != (UsedBit | c)) break;
            cell = next;
            if ((next & TokenBit) != 0)
            {
                best = child;
                matchLength = i + 1;
            }
        }
        return best < 0 ? -1 : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_cellRank), best);
    }

    /// <summary>
    /// Open addressing from a pair of ranks to a rank, built once, then only read. Each slot is one
    /// word (left, right and the rank, 21 bits each), so a probe costs one cache miss at most; and a
    /// bit filter in front (16 bits per pair, small enough to stay in the L2 cache) answers most
    /// lookups, which find nothing, without touching the table. Pairs of two ranks below 256 (the
    /// single bytes, in the tiktoken encodings) are answered by a dense 256 × 256 table instead: the
    /// pair check ends on them most of the time (on 1 MB of random letters, cl100k_base, 37 % of its
    /// 2.8 M lookups and 91 % of the pairs it finds), and their slots, spread over the whole table,
    /// were a third of its time.
    /// </summary>
    private sealed class PairTable
    {
        public const int MaxRank = (1 << Bits) - 2; // all ones is the empty slot
        private const int Bits = 21;
        private const ulong Field = (1UL << Bits) - 1;
        private const ulong Empty = ulong.MaxValue;
        private readonly ulong[] _slots;
        private readonly BitFilter _filter;   // 16 bits per pair
        private readonly int _shift;
        private readonly int[] _low;          // LowRanks × LowRanks: the pairs of two low ranks, -1 for none
        // A bit per low pair, set where _low has one: 8 KiB that stay in L1, where _low's 256 KiB do not.
        // On random CJK nearly every pair check ends on two single bytes that make no token.
        private readonly ulong[] _lowBits;
        private const int LowBits = 8;
        private const int LowRanks = 1 << LowBits;

        public PairTable(int capacityHint)
        {
            int bits = 4;
            while ((1 << bits) < 2 * capacityHint) bits++;
            _slots = new ulong[1 << bits];
            Array.Fill(_slots, Empty);
            _shift = 64 - bits;
            _filter = new BitFilter(capacityHint, bitsPerKey: 16);
            _low = new int[LowRanks * LowRanks];
            Array.Fill(_low, -1);
            _lowBits = new ulong[LowRanks * LowRanks / 64];
        }

        public long MemoryBytes => 8L * _slots.Length + _filter.MemoryBytes + 4L * _low.Length + 8L * _lowBits.Length;

        public void Add(int left, int right, int rank)
        {
            ulong key = Pack(left, right);
            int mask = _slots.Length - 1;
            int s = (int)(Mix(key) >> _shift);
            while (_slots[s] != Empty) s = (s + 1) & mask;
            _slots[s] = key | ((ulong)rank << (2 * Bits));
            _filter.Add(FilterMix(key));
            if ((uint)(left | right) < LowRanks)
            {
                int k = left << LowBits | right;
                _low[k] = rank;
                _lowBits[k >> 6] |= 1UL << k;
            }
        }

        /// <summary>The rank made from left and right, or -1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Get(int left, int right)
        {
            if ((uint)(left | right) < LowRanks)
            {
                int k = left << LowBits | right;
                if ((Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_lowBits), k >> 6) & (1UL << k)) == 0) return -1;
                return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_low), k);
            }
            ulong key = Pack(left, right);
            if (!_filter.MayContain(FilterMix(key))) return -1;
            ref ulong slots = ref MemoryMarshal.GetArrayDataReference(_slots);
            int mask = _slots.Length - 1;
            for (int s = (int)(Mix(key) >> _shift); ; s = (s + 1) & mask)
            {
                ulong slot = Unsafe.Add(ref slots, s);
                if ((slot & (Field | Field << Bits)) == key) return (int)(slot >> (2 * Bits));
                if (slot == Empty) return -1;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Pack(int left, int right) => (uint)left | ((ulong)(uint)right << Bits);

        // Two multipliers, so the filter bit and the slot are independent (both take the top bits).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Mix(ulong key) => key * 0x9E3779B97F4A7C15UL;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong FilterMix(ulong key) => key * 0xC2B2AE3D27D4EB4FUL;
    }
}
