using System.Runtime.InteropServices;
using Crayon.Normalization;
using Crayon.Profiles;

namespace Crayon.Gpu;

/// <summary>
/// One tokenizer's state on a device: the active profile's trie (uploaded once per profile, released
/// when another profile is used or the session is disposed) and two work slots whose buffers grow to
/// the largest piece seen and are then re-used, so repeated calls allocate no device memory.
///
/// A batch runs in pieces of at most <see cref="PieceBytes"/> text bytes (larger batches and documents
/// are streamed piece by piece). Inside a piece every document is cut into chunks of
/// <see cref="ChunkBytes"/>; one GPU thread walks one chunk (WalkChunks), in rounds until every chunk
/// starts where its predecessor's last token ends (see LongestMatchKernels in
/// tools/Crayon.KernelCompiler), then Compact packs the chunks' ids and one read brings them back.
/// A document cut between pieces carries its exit position into the next piece, and each piece holds
/// MaxTokenBytes bytes past its cut so a token may cross it: ids equal the CPU's for any input.
///
/// Pieces are double-buffered over the device's two queues: piece k's slot computes on its queue while
/// the host copies piece k-1's ids out of the other slot's page-locked staging and stages piece k+1
/// there, whose upload then runs on the other queue beside piece k's kernels. The one value piece k+1
/// needs from piece k (where a cut document's next token starts) is patched in with a 4-byte write
/// after piece k's rounds, ahead of piece k+1's first kernel on its queue. Calls are serialised on the
/// device's lock.
/// </summary>
internal sealed unsafe class GpuSession : IDisposable
{
    private readonly GpuDevice _device;
    private Profile? _trieProfile;
    private int _trieCells;                 // cells uploaded: the profile's, and its tails expanded (DeviceTrie)
    private GpuBuffer? _base, _check, _value;
    private readonly Slot[] _slots = [new(0), new(1)];

    /// <summary>Bytes of one chunk, the work of one thread per round. Small enough for thousands of threads
    /// on a few MiB, large enough that a thread's ~70 tokens outweigh its launch share.</summary>
    public int ChunkBytes { get; set; } = 512;

    /// <summary>Text bytes per piece; 0 chooses from the device's memory (two pieces in flight, about 9 bytes of device memory per text byte each).</summary>
    public int PieceBytes { get; set; }

    public GpuSession(GpuDevice device) => _device = device;

    public GpuDevice Device => _device;

    public long Run(Profile profile, ReadOnlySpan<nint> texts, ReadOnlySpan<long> lengths, int* output, long capacity, long* offsets)
    {
        int n = texts.Length;
        if (lengths.Length != n) throw new ArgumentException("texts and lengths differ in count");
        if (offsets == null) throw new ArgumentException("offsets is NULL");
        if (capacity > 0 && output == null) throw new ArgumentException("out is NULL");
        nint[] textArr = texts.ToArray();
        long[] lenArr = lengths.ToArray();
        for (int i = 0; i < n; i++)
        {
            if (lenArr[i] < 0) throw new ArgumentException($"length of document {i} is negative");
            if (textArr[i] == 0 && lenArr[i] != 0) throw new ArgumentException($"document {i} is NULL with a non-zero length");
        }
        if (profile.Normalization == TextNormalization.None)
            return RunLocked(profile, textArr, lenArr, output, capacity, offsets);

        for (int i = 0; i < n; i++)
            if (lenArr[i] > int.MaxValue) throw new ArgumentException($"document {i} is too long for an NFC profile (at most 2^31 - 1 bytes per text)");
        var normalized = new NormalizedText[n];
        try
        {
            Parallel.For(0, n, i => normalized[i] = Nfc.Normalize((byte*)textArr[i], lenArr[i]));
            for (int i = 0; i < n; i++) { textArr[i] = (nint)normalized[i].Pointer; lenArr[i] = normalized[i].Length; }
            return RunLocked(profile, textArr, lenArr, output, capacity, offsets);
        }
        finally
        {
            foreach (NormalizedText t in normalized) t.Dispose();
        }
    }

    private long RunLocked(Profile profile, nint[] texts, long[] lens, int* output, long capacity, long* offsets)
    {
        lock (_device.Lock)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            double kernel0 = _device.KernelSeconds, copy0 = _device.CopySeconds;
            try
            {
                long total = Stream(profile, texts, lens, output, capacity, offsets);
                _calls++;
                _tokens += total;
                return total <= capacity ? total : -total;
            }
            finally
            {
                // After an error commands may still be queued that read or write the slots' host memory.
                for (int q = 0; q < GpuDevice.QueueCount; q++)
                    try { _device.Synchronize(q); } catch (GpuException) { /* the first error is the one reported */ }
                _kernelSeconds += _device.KernelSeconds - kernel0;
                _copySeconds += _device.CopySeconds - copy0;
                _wallTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
            }
        }
    }

    /// <summary>The pipeline: stage, compute and deliver pieces, two in flight (see the class summary).</summary>
    private long Stream(Profile profile, nint[] texts, long[] lens, int* output, long capacity, long* offsets)
    {
        EnsureTrie(profile);
        int overlap = Math.Clamp(profile.MaxTokenBytes, 1, 1 << 16);
        long bytes = 0;
        foreach (long l in lens) bytes += l;
        int piece = ChoosePieceBytes(overlap, bytes);
        int chunk = Math.Max(1, ChunkBytes);
        // Each span adds at most one partial chunk; a piece of many tiny documents simply ends when the table is full.
        int maxChunks = piece / chunk * 2 + 1024;

        int n = texts.Length;
        for (int i = 0; i <= n; i++) offsets[i] = 0;
        var cursor = new Cursor(texts, lens);
        long total = 0;
        long carriedEntry = 0;
        Slot? previous = null;
        Slot? current = Stage(_slots[0], ref cursor, piece, chunk, overlap, maxChunks);
        for (int k = 0; current is not null; k++)
        {
            if (current.Plan.Continues) PatchEntry(current, carriedEntry);
            LaunchRound(current);
            // While round 0 of piece k runs: piece k-1's ids to the caller, piece k+1 staged and uploaded.
            if (previous is not null) Deliver(previous);
            Slot? next = Stage(_slots[(k + 1) % 2], ref cursor, piece, chunk, overlap, maxChunks);
            long pieceTokens = FinishRounds(current);
            _pieces++;
            carriedEntry = Account(current.Plan, offsets);
            current.DeliverCount = 0;
            if (total + pieceTokens <= capacity && pieceTokens > 0) Compact(current, pieceTokens, output + total);
            total += pieceTokens;
            previous = current;
            current = next;
        }
        if (previous is not null) Deliver(previous);
        for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
        return total;
    }

    /// <summary>The next document and byte to place, and the batch itself.</summary>
    private struct Cursor(nint[] texts, long[] lens)
    {
        public readonly nint[] Texts = texts;
        public readonly long[] Lens = lens;
        public int Doc;
        public long At;

        /// <summary>Skips finished and empty documents; false when none is left.</summary>
        public bool Pending()
        {
            while (Doc < Texts.Length && At >= Lens[Doc]) { Doc++; At = 0; }
            return Doc < Texts.Length;
        }
    }

    /// <summary>
    /// Fills slot's plan from the cursor (whole documents, and the head of one that does not fit) and
    /// enqueues its upload on the slot's queue; null when the batch is done. A piece continuing a cut
    /// document starts with that document, its first token's start still unknown (<see cref="PatchEntry"/>).
    /// </summary>
    private Slot? Stage(Slot slot, ref Cursor cursor, int piece, int chunk, int overlap, int maxChunks)
    {
        if (!cursor.Pending()) return null;
        slot.Ensure(_device, piece, maxChunks);
        PiecePlan plan = slot.Plan;
        plan.Reset(piece, chunk, overlap);
        while (cursor.Pending())
        {
            int doc = cursor.Doc;
            if (!plan.AddSpan(doc, (byte*)cursor.Texts[doc], cursor.Lens[doc], cursor.At, out long placedEnd)) break;
            if (placedEnd < cursor.Lens[doc]) { cursor.At = placedEnd; break; }   // continues in the next piece
            cursor.Doc++; cursor.At = 0;
        }
        int chunks = plan.ChunkCount;
        if (chunks == 0) throw new InvalidOperationException("a fresh piece took no text (piece size below two tokens)");
        // Round 0 guesses that each chunk starts at its own first byte: "the previous chunk exits at my start".
        for (int c = 0; c < chunks; c++) { plan.Exits[c] = plan.End[c]; plan.Assumed[c] = -1; }
        int q = slot.Queue;
        _device.WriteAsync(q, slot.Text, 0, plan.Text, plan.TextLength);
        _device.WriteAsync(q, slot.ChunkStart, 0, plan.Start, 4L * chunks);
        _device.WriteAsync(q, slot.ChunkEnd, 0, plan.End, 4L * chunks);
        _device.WriteAsync(q, slot.ChunkLimit, 0, plan.Limit, 4L * chunks);
        _device.WriteAsync(q, slot.FixedEntry, 0, plan.Fixed, 4L * chunks);
        _device.WriteAsync(q, slot.ExitsA, 0, plan.Exits, 4L * chunks);
        _device.WriteAsync(q, slot.Assumed, 0, plan.Assumed, 4L * chunks);
        slot.ExitsIn = slot.ExitsA;
        slot.ExitsOut = slot.ExitsB;
        return slot;
    }

    /// <summary>Sets where the cut document's first token starts in this piece (entry: a position in that document).</summary>
    private void PatchEntry(Slot slot, long entry)
    {
        ref PiecePlan.Span first = ref slot.Plan.Spans[0];
        long offset = entry - first.DocStart;
        // A fresh piece holds at least MaxTokenBytes + 64 bytes of the document (ChoosePieceBytes), and the
        // previous piece's last token ends less than MaxTokenBytes past its cut: the entry always lies inside.
        if (offset < 0 || offset > first.Nominal) throw new GpuException($"GPU returned an impossible token end (device error): {entry} outside [{first.DocStart}, {first.DocStart + first.Nominal}]");
        *slot.Patch = first.TextStart + (int)offset;
        // A separate host int, not plan.Fixed[0]: the table's own upload may still be reading that.
        _device.WriteAsync(slot.Queue, slot.FixedEntry, 0, slot.Patch, 4);
    }

    /// <summary>Enqueues one WalkChunks round and the read of its "changed" flag.</summary>
    private void LaunchRound(Slot slot)
    {
        PiecePlan plan = slot.Plan;
        int chunks = plan.ChunkCount, q = slot.Queue;
        _device.WriteAsync(q, slot.Changed, 0, slot.Zero, 4);
        _device.LaunchAsync(q, GpuKernel.WalkChunks, chunks,
        [
            new(_base!, _trieCells), new(_check!, _trieCells), new(_value!, _trieCells),
            new(slot.Text, plan.TextLength),
            new(slot.ChunkStart, chunks), new(slot.ChunkEnd, chunks), new(slot.ChunkLimit, chunks), new(slot.FixedEntry, chunks),
            new(slot.ExitsIn, chunks), new(slot.ExitsOut, chunks), new(slot.Assumed, chunks), new(slot.Counts, chunks),
            new(slot.Ids, plan.TextLength), new(slot.Changed, 1),
        ]);
        (slot.ExitsIn, slot.ExitsOut) = (slot.ExitsOut, slot.ExitsIn);
        _device.ReadAsync(q, slot.Changed, slot.ChangedOut, 4);
    }

    /// <summary>Re-walks until no chunk's entry changes, then reads exits and counts; returns the piece's token count.</summary>
    private long FinishRounds(Slot slot)
    {
        PiecePlan plan = slot.Plan;
        int chunks = plan.ChunkCount, q = slot.Queue;
        int rounds = 0;
        while (true)
        {
            _device.Synchronize(q);
            if (*slot.ChangedOut == 0) break;
            // Round r fixes at least chunk r of every span for good, so this cannot loop longer.
            if (++rounds > chunks + 1) throw new GpuException("GPU chunk walk did not converge (device error)");
            LaunchRound(slot);
        }
        LastRounds = rounds;
        _rounds += rounds;
        _device.ReadAsync(q, slot.ExitsIn, plan.Exits, 4L * chunks);
        _device.ReadAsync(q, slot.Counts, plan.Counts, 4L * chunks);
        _device.Synchronize(q);
        long tokens = 0;
        for (int c = 0; c < chunks; c++)
        {
            if ((uint)plan.Counts[c] > (uint)(plan.End[c] - plan.Start[c])) throw new GpuException("GPU returned an impossible token count (device error)");
            tokens += plan.Counts[c];
        }
        return tokens;
    }

    /// <summary>
    /// Per-document counts into offsets, each chunk's destination in the piece's packed ids (plan.Dest),
    /// and, when the piece ends inside a document, where that document's next token starts.
    /// </summary>
    private static long Account(PiecePlan plan, long* offsets)
    {
        long dest = 0, carried = 0;
        for (int s = 0; s < plan.SpanCount; s++)
        {
            ref PiecePlan.Span span = ref plan.Spans[s];
            long count = 0;
            for (int c = span.FirstChunk; c < span.FirstChunk + span.ChunkCount; c++)
            {
                plan.Dest[c] = (int)(dest + count);
                count += plan.Counts[c];
            }
            dest += count;
            offsets[span.Doc + 1] += count;
            if (span.Cut) carried = span.DocStart + (plan.Exits[span.FirstChunk + span.ChunkCount - 1] - span.TextStart);
        }
        return carried;
    }

    /// <summary>Enqueues the packing of the piece's ids and their read into the slot's staging; <see cref="Deliver"/> copies them to destination.</summary>
    private void Compact(Slot slot, long tokens, int* destination)
    {
        PiecePlan plan = slot.Plan;
        int chunks = plan.ChunkCount, q = slot.Queue;
        slot.EnsureStaging(_device, tokens);
        _device.WriteAsync(q, slot.Dest, 0, plan.Dest, 4L * chunks);
        _device.LaunchAsync(q, GpuKernel.Compact, chunks,
        [
            new(slot.ChunkStart, chunks), new(slot.Counts, chunks), new(slot.Dest, chunks),
            new(slot.Ids, plan.TextLength), new(slot.Output, tokens),
        ]);
        _device.ReadAsync(q, slot.Output, slot.HostOutput, 4 * tokens);
        slot.DeliverTo = destination;
        slot.DeliverCount = tokens;
    }

    /// <summary>Waits for the slot's queue and copies its staged ids to the caller's buffer.</summary>
    private void Deliver(Slot slot)
    {
        _device.Synchronize(slot.Queue);
        if (slot.DeliverCount > 0) Buffer.MemoryCopy(slot.HostOutput, slot.DeliverTo, 4 * slot.DeliverCount, 4 * slot.DeliverCount);
        slot.DeliverCount = 0;
    }

    /// <summary>Rounds the last piece needed after the guessing round (for tests and benchmarks).</summary>
    public int LastRounds { get; private set; }

    /// <summary>Totals since the session began (crayon_device_stats): calls, pieces, tokens, re-walk rounds;
    /// seconds the device spent in kernels and in copies by its own clock (events: true while they
    /// overlap), and wall seconds of whole calls (their sum exceeds the wall time where copies overlapped kernels).</summary>
    public readonly record struct Stats(long Calls, long Pieces, long Tokens, long Rounds, double KernelSeconds, double CopySeconds, double WallSeconds);

    private long _calls, _pieces, _tokens, _rounds, _wallTicks;
    private double _kernelSeconds, _copySeconds;

    public Stats Totals
    {
        get
        {
            lock (_device.Lock)
                return new(_calls, _pieces, _tokens, _rounds, _kernelSeconds, _copySeconds,
                           _wallTicks / (double)System.Diagnostics.Stopwatch.Frequency);
        }
    }

    /// <summary>
    /// The piece size: the whole batch when it fits the device's budget (rounded up to a power of two so
    /// that work buffers regrow rarely), else the budget: 64 MiB, or less where a quarter of the largest
    /// allocation or a fortieth of device memory is smaller (two slots of ~9 bytes per text byte then
    /// hold under half the device). A piece always has room for two tokens.
    /// </summary>
    private int ChoosePieceBytes(int overlap, long batchBytes)
    {
        long budget = PieceBytes > 0 ? PieceBytes
            : Math.Min(Math.Min(64L << 20, _device.MaxAllocation / 4), _device.GlobalMemory / 40);
        long piece = Math.Min(budget, Math.Max(64L << 10, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(1, batchBytes))));
        return (int)Math.Clamp(piece, 2L * overlap + 64, int.MaxValue / 4);
    }

    private void EnsureTrie(Profile profile)
    {
        if (ReferenceEquals(profile, _trieProfile)) return;
        ReleaseTrie();
        var (b, c, v) = DeviceTrie.Flatten(profile);
        try
        {
            _base = _device.Allocate(4L * b.Length);
            _check = _device.Allocate(4L * c.Length);
            _value = _device.Allocate(4L * v.Length);
            fixed (int* pb = b) _device.Write(_base, pb, 4L * b.Length);
            fixed (int* pc = c) _device.Write(_check, pc, 4L * c.Length);
            fixed (int* pv = v) _device.Write(_value, pv, 4L * v.Length);
            _trieProfile = profile;
            _trieCells = b.Length;
        }
        catch
        {
            ReleaseTrie();
            throw;
        }
    }

    private void ReleaseTrie()
    {
        _device.Free(_base); _device.Free(_check); _device.Free(_value);
        _base = _check = _value = null;
        _trieProfile = null;
    }

    public void Dispose()
    {
        lock (_device.Lock)
        {
            ReleaseTrie();
            foreach (Slot slot in _slots) slot.Release(_device);
        }
    }

    /// <summary>
    /// One piece in flight: its queue, its device buffers, its page-locked host buffers (text and chunk
    /// tables staged for upload, the ids read back) and its plan. Grown, never shrunk, until the session
    /// ends; the second slot is only allocated once a batch needs a second piece.
    /// </summary>
    internal sealed class Slot(int queue)
    {
        public readonly int Queue = queue;
        public GpuBuffer Text = null!, Ids = null!, Output = null!, ChunkStart = null!, ChunkEnd = null!, ChunkLimit = null!,
                         FixedEntry = null!, ExitsA = null!, ExitsB = null!, Assumed = null!, Counts = null!, Dest = null!, Changed = null!;
        /// <summary>Where the current round reads and writes the chunks' exits (ExitsA and ExitsB, swapped each round).</summary>
        public GpuBuffer ExitsIn = null!, ExitsOut = null!;
        public byte* HostText;
        /// <summary>8 tables of MaxChunks ints (start, end, limit, fixed, exits, counts, assumed, dest), then Zero, ChangedOut, Patch.</summary>
        public int* HostInts;
        public int* Zero, ChangedOut, Patch;
        public int* HostOutput;
        public long OutputCapacity;
        public int Bytes, MaxChunks;
        public PiecePlan Plan = null!;
        /// <summary>Where <see cref="Deliver"/> copies this slot's staged ids, and how many (0: none).</summary>
        public int* DeliverTo;
        public long DeliverCount;

        public void Ensure(GpuDevice device, int bytes, int maxChunks)
        {
            if (bytes <= Bytes && maxChunks <= MaxChunks) return;
            bytes = Math.Max(bytes, Bytes);
            maxChunks = Math.Max(maxChunks, MaxChunks);
            Release(device);
            try
            {
                Text = device.Allocate(bytes);
                Ids = device.Allocate(4L * bytes);
                ChunkStart = device.Allocate(4L * maxChunks); ChunkEnd = device.Allocate(4L * maxChunks);
                ChunkLimit = device.Allocate(4L * maxChunks); FixedEntry = device.Allocate(4L * maxChunks);
                ExitsA = device.Allocate(4L * maxChunks); ExitsB = device.Allocate(4L * maxChunks);
                Assumed = device.Allocate(4L * maxChunks); Counts = device.Allocate(4L * maxChunks);
                Dest = device.Allocate(4L * maxChunks); Changed = device.Allocate(4);
                HostText = (byte*)device.AllocateHost(bytes);
                HostInts = (int*)device.AllocateHost(4L * (8L * maxChunks + 3));
                Zero = HostInts + 8L * maxChunks; ChangedOut = Zero + 1; Patch = Zero + 2;
                *Zero = 0;
                Bytes = bytes; MaxChunks = maxChunks;
                Plan = new PiecePlan(this);
            }
            catch
            {
                Release(device);
                throw;
            }
        }

        /// <summary>Room for the piece's packed ids on the device and in staging: grown to a power of two
        /// (at most one id per text byte), since most text needs a quarter of that.</summary>
        public void EnsureStaging(GpuDevice device, long tokens)
        {
            if (tokens <= OutputCapacity) return;
            long capacity = Math.Min((long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)tokens), Math.Max(tokens, Bytes));
            device.Free(Output); Output = null!;
            if (HostOutput != null) { device.FreeHost(HostOutput); HostOutput = null; }
            OutputCapacity = 0;
            Output = device.Allocate(4 * capacity);
            HostOutput = (int*)device.AllocateHost(4 * capacity);
            OutputCapacity = capacity;
        }

        public void Release(GpuDevice device)
        {
            foreach (GpuBuffer? b in new[] { Text, Ids, Output, ChunkStart, ChunkEnd, ChunkLimit, FixedEntry, ExitsA, ExitsB, Assumed, Counts, Dest, Changed })
                device.Free(b);
            Text = Ids = Output = ChunkStart = ChunkEnd = ChunkLimit = FixedEntry = ExitsA = ExitsB = Assumed = Counts = Dest = Changed = null!;
            ExitsIn = ExitsOut = null!;
            if (HostText != null) { device.FreeHost(HostText); HostText = null; }
            if (HostInts != null) { device.FreeHost(HostInts); HostInts = null; }
            if (HostOutput != null) { device.FreeHost(HostOutput); HostOutput = null; }
            Zero = ChangedOut = Patch = null;
            Bytes = MaxChunks = 0;
            OutputCapacity = 0;
            DeliverCount = 0;
            Plan = null!;
        }
    }

    /// <summary>The host side of one piece: staged text bytes and the chunk table, in the slot's host buffers.</summary>
    internal sealed class PiecePlan
    {
        public struct Span
        {
            public int Doc, FirstChunk, ChunkCount, TextStart;
            public long DocStart, Nominal;
            public bool Cut;
        }

        private int _capacity, _chunk, _overlap;
        private readonly int _maxChunks;
        public readonly byte* Text;
        public readonly int* Start, End, Limit, Fixed, Exits, Counts, Assumed, Dest;
        public Span[] Spans = new Span[16];
        public int SpanCount, ChunkCount, TextLength;

        public PiecePlan(Slot slot)
        {
            _maxChunks = slot.MaxChunks;
            Text = slot.HostText;
            int m = slot.MaxChunks;
            Start = slot.HostInts; End = Start + m; Limit = End + m; Fixed = Limit + m; Exits = Fixed + m;
            Counts = Exits + m; Assumed = Counts + m; Dest = Assumed + m;
        }

        public void Reset(int capacity, int chunk, int overlap)
        {
            if (capacity / chunk * 2 + 1024 > _maxChunks) throw new ArgumentException("the slot's chunk table is smaller than the piece needs");
            _capacity = capacity; _chunk = chunk; _overlap = overlap;
            SpanCount = 0; ChunkCount = 0; TextLength = 0;
        }

        /// <summary>True when the first span continues a document cut by the previous piece (its entry comes from there).</summary>
        public bool Continues => SpanCount > 0 && Spans[0].DocStart > 0;

        /// <summary>
        /// Places doc[from..) (as much as fits). A span at from = 0 starts its first token at its first
        /// byte; one at from &gt; 0 (only ever a piece's first span) gets its entry from the previous piece.
        /// Returns false when nothing fits (the piece is full); placedEnd is the document position
        /// where this piece's part ends (tokens may read up to _overlap bytes further).
        /// </summary>
        public bool AddSpan(int doc, byte* text, long length, long from, out long placedEnd)
        {
            placedEnd = from;
            long room = _capacity - TextLength;
            long rest = length - from;
            long nominal = rest <= room ? rest : room - _overlap;   // a cut span also carries the overlap
            if (nominal <= 0 || ChunkCount + 1 > _maxChunks) return false;
            // A carried entry lies less than _overlap bytes in: the span must hold that much (see PatchEntry).
            if (from > 0 && nominal < Math.Min(rest, _overlap)) return false;
            long chunks = (nominal + _chunk - 1) / _chunk;
            if (ChunkCount + chunks > _maxChunks) { chunks = _maxChunks - ChunkCount; nominal = Math.Min(nominal, chunks * _chunk); }
            long readable = Math.Min(rest, nominal + _overlap);
            Buffer.MemoryCopy(text + from, Text + TextLength, readable, readable);
            if (SpanCount == Spans.Length) Array.Resize(ref Spans, Spans.Length * 2);
            Spans[SpanCount++] = new Span
            {
                Doc = doc, FirstChunk = ChunkCount, ChunkCount = (int)chunks, TextStart = TextLength, DocStart = from,
                Nominal = nominal, Cut = from + nominal < length,
            };
            int limit = TextLength + (int)readable;
            for (long k = 0; k < chunks; k++)
            {
                int c = ChunkCount++;
                Start[c] = TextLength + (int)(k * _chunk);
                End[c] = TextLength + (int)Math.Min(nominal, (k + 1) * _chunk);
                Limit[c] = limit;
                Fixed[c] = k == 0 ? TextLength : -1;   // a continued document's entry is patched in later
            }
            TextLength += (int)readable;
            placedEnd = from + nominal;
            return true;
        }
    }
}
