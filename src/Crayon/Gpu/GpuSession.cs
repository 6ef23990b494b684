using System.Runtime.InteropServices;
using Crayon.Normalization;
using Crayon.Profiles;

namespace Crayon.Gpu;

/// <summary>
/// One tokenizer's state on a device: the active profile's trie (uploaded once per profile, released
/// when another profile is used or the session is disposed) and work buffers that grow to the largest
/// piece seen and are then re-used, so repeated calls allocate no device memory.
///
/// A batch runs in pieces of at most <see cref="PieceBytes"/> text bytes (larger batches and documents
/// are streamed piece by piece). Inside a piece every document is cut into chunks of
/// <see cref="ChunkBytes"/>; one GPU thread walks one chunk (WalkChunks), in rounds until every chunk
/// starts where its predecessor's last token ends (see LongestMatchKernels in
/// tools/Crayon.KernelCompiler), then Compact packs the chunks' ids and one read brings them back.
/// A document cut between pieces carries its exit position into the next piece, and each piece holds
/// MaxTokenBytes bytes past its cut so a token may cross it: ids equal the CPU's for any input.
/// Calls are serialised on the device's lock.
/// </summary>
internal sealed unsafe class GpuSession : IDisposable
{
    private readonly GpuDevice _device;
    private Profile? _trieProfile;
    private GpuBuffer? _base, _check, _value;
    private readonly Work _work = new();

    /// <summary>Bytes of one chunk, the work of one thread per round. Small enough for thousands of threads
    /// on a few MiB, large enough that a thread's ~70 tokens outweigh its launch share.</summary>
    public int ChunkBytes { get; set; } = 512;

    /// <summary>Text bytes per piece; 0 chooses from the device's memory (about 9 bytes of device memory per text byte).</summary>
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
            EnsureTrie(profile);
            int overlap = Math.Clamp(profile.MaxTokenBytes, 1, 1 << 16);
            long bytes = 0;
            foreach (long l in lens) bytes += l;
            int piece = ChoosePieceBytes(overlap, bytes);
            int chunk = Math.Max(1, ChunkBytes);
            // Each span adds at most one partial chunk; a piece of many tiny documents simply ends when the table is full.
            _work.Ensure(_device, piece, piece / chunk * 2 + 1024);
            var plan = new PiecePlan(_work, piece, chunk, overlap);

            int n = texts.Length;
            for (int i = 0; i <= n; i++) offsets[i] = 0;
            long total = 0;
            int doc = 0;
            long at = 0, entry = 0;   // next byte of doc to place, and where its next token starts (≥ at)
            while (doc < n)
            {
                if (at >= lens[doc]) { doc++; at = 0; entry = 0; continue; }
                plan.Clear();
                // Fill the piece: whole documents, and the head of one that does not fit.
                while (doc < n)
                {
                    if (at >= lens[doc]) { doc++; at = 0; entry = 0; continue; }
                    if (!plan.AddSpan(doc, (byte*)texts[doc], lens[doc], at, entry - at, out long placedEnd)) break;
                    if (placedEnd < lens[doc]) { at = placedEnd; break; }   // continues in the next piece
                    doc++; at = 0; entry = 0;
                }
                long pieceTokens = RunPiece(plan);
                _pieces++;
                // Per-document counts, dense destinations, and the exit of a document cut by the piece.
                long dest = 0;
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
                    if (span.Cut) entry = span.DocStart + (plan.Exits[span.FirstChunk + span.ChunkCount - 1] - span.TextStart);
                }
                if (total + pieceTokens <= capacity && pieceTokens > 0)
                {
                    Write(_work.Dest, plan.Dest, 4L * plan.ChunkCount);
                    Launch(GpuKernel.Compact, plan.ChunkCount,
                    [
                        new(_work.ChunkStart, plan.ChunkCount), new(_work.Counts, plan.ChunkCount), new(_work.Dest, plan.ChunkCount),
                        new(_work.Ids, plan.TextLength), new(_work.Output, pieceTokens),
                    ]);
                    Read(_work.Output, output + total, 4 * pieceTokens);
                }
                total += pieceTokens;
            }
            for (int i = 0; i < n; i++) offsets[i + 1] += offsets[i];
            _calls++;
            _tokens += total;
            return total <= capacity ? total : -total;
        }
    }

    /// <summary>Uploads the piece, walks its chunks in rounds until no entry changes; returns its token count.</summary>
    private long RunPiece(PiecePlan plan)
    {
        int chunks = plan.ChunkCount;
        if (chunks == 0) return 0;
        Work w = _work;
        Write(w.Text, plan.Text, plan.TextLength);
        Write(w.ChunkStart, plan.Start, 4L * chunks);
        Write(w.ChunkEnd, plan.End, 4L * chunks);
        Write(w.ChunkLimit, plan.Limit, 4L * chunks);
        Write(w.FixedEntry, plan.Fixed, 4L * chunks);
        // Round 0 guesses that each chunk starts at its own first byte: "the previous chunk exits at my start".
        for (int c = 0; c < chunks; c++) { plan.Exits[c] = plan.End[c]; plan.Assumed[c] = -1; }
        Write(w.ExitsA, plan.Exits, 4L * chunks);
        Write(w.Assumed, plan.Assumed, 4L * chunks);
        GpuBuffer exitsIn = w.ExitsA, exitsOut = w.ExitsB;
        int rounds = 0;
        while (true)
        {
            int changed = 0;
            Write(w.Changed, &changed, 4);
            Launch(GpuKernel.WalkChunks, chunks,
            [
                new(_base!, _trieProfile!.NodeCount), new(_check!, _trieProfile.NodeCount), new(_value!, _trieProfile.NodeCount),
                new(w.Text, plan.TextLength),
                new(w.ChunkStart, chunks), new(w.ChunkEnd, chunks), new(w.ChunkLimit, chunks), new(w.FixedEntry, chunks),
                new(exitsIn, chunks), new(exitsOut, chunks), new(w.Assumed, chunks), new(w.Counts, chunks),
                new(w.Ids, plan.TextLength), new(w.Changed, 1),
            ]);
            (exitsIn, exitsOut) = (exitsOut, exitsIn);
            Read(w.Changed, &changed, 4);
            if (changed == 0) break;
            // Round r fixes at least chunk r of every span for good, so this cannot loop longer.
            if (++rounds > chunks + 1) throw new GpuException("GPU chunk walk did not converge (device error)");
        }
        LastRounds = rounds;
        _rounds += rounds;
        Read(exitsIn, plan.Exits, 4L * chunks);
        Read(w.Counts, plan.Counts, 4L * chunks);
        long tokens = 0;
        for (int c = 0; c < chunks; c++)
        {
            if ((uint)plan.Counts[c] > (uint)(plan.End[c] - plan.Start[c])) throw new GpuException("GPU returned an impossible token count (device error)");
            tokens += plan.Counts[c];
        }
        return tokens;
    }

    /// <summary>Rounds the last piece needed after the guessing round (for tests and benchmarks).</summary>
    public int LastRounds { get; private set; }

    /// <summary>Totals since the session began (crayon_device_stats): calls, pieces, tokens, re-walk
    /// rounds, and seconds in kernels (each launch waits for completion) and in copies.</summary>
    public readonly record struct Stats(long Calls, long Pieces, long Tokens, long Rounds, double KernelSeconds, double CopySeconds);

    private long _calls, _pieces, _tokens, _rounds, _kernelTicks, _copyTicks;

    public Stats Totals
    {
        get
        {
            lock (_device.Lock)
                return new(_calls, _pieces, _tokens, _rounds, _kernelTicks / (double)System.Diagnostics.Stopwatch.Frequency,
                           _copyTicks / (double)System.Diagnostics.Stopwatch.Frequency);
        }
    }

    private void Write(GpuBuffer dst, void* src, long bytes)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _device.Write(dst, src, bytes);
        _copyTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
    }

    private void Read(GpuBuffer src, void* dst, long bytes)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _device.Read(src, dst, bytes);
        _copyTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
    }

    private void Launch(GpuKernel kernel, int threads, ReadOnlySpan<GpuView> views)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _device.Launch(kernel, threads, views);
        _kernelTicks += System.Diagnostics.Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>
    /// The piece size: the whole batch when it fits the device's budget (rounded up to a power of two so
    /// that work buffers regrow rarely), else the budget: 64 MiB, or less where a quarter of the largest
    /// allocation or a sixteenth of device memory is smaller. A piece always has room for two tokens.
    /// </summary>
    private int ChoosePieceBytes(int overlap, long batchBytes)
    {
        long budget = PieceBytes > 0 ? PieceBytes
            : Math.Min(Math.Min(64L << 20, _device.MaxAllocation / 4), _device.GlobalMemory / 16);
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
            _work.Release(_device);
        }
    }

    /// <summary>The device and host buffers of one piece; grown, never shrunk, until the session ends.</summary>
    internal sealed class Work
    {
        public GpuBuffer Text = null!, Ids = null!, Output = null!, ChunkStart = null!, ChunkEnd = null!, ChunkLimit = null!,
                         FixedEntry = null!, ExitsA = null!, ExitsB = null!, Assumed = null!, Counts = null!, Dest = null!, Changed = null!;
        public byte* HostText;
        public int* HostInts;   // 8 arrays of MaxChunks ints: start, end, limit, fixed, exits, counts, assumed, dest
        public int Bytes, MaxChunks;
        private GpuDevice? _owner;

        public void Ensure(GpuDevice device, int bytes, int maxChunks)
        {
            if (bytes <= Bytes && maxChunks <= MaxChunks) return;
            Release(device);
            bytes = Math.Max(bytes, Bytes);
            maxChunks = Math.Max(maxChunks, MaxChunks);
            _owner = device;
            try
            {
                Text = device.Allocate(bytes);
                Ids = device.Allocate(4L * bytes);
                Output = device.Allocate(4L * bytes);
                ChunkStart = device.Allocate(4L * maxChunks); ChunkEnd = device.Allocate(4L * maxChunks);
                ChunkLimit = device.Allocate(4L * maxChunks); FixedEntry = device.Allocate(4L * maxChunks);
                ExitsA = device.Allocate(4L * maxChunks); ExitsB = device.Allocate(4L * maxChunks);
                Assumed = device.Allocate(4L * maxChunks); Counts = device.Allocate(4L * maxChunks);
                Dest = device.Allocate(4L * maxChunks); Changed = device.Allocate(4);
                HostText = (byte*)device.AllocateHost(bytes);
                HostInts = (int*)device.AllocateHost(4L * 8 * maxChunks);
                Bytes = bytes; MaxChunks = maxChunks;
            }
            catch
            {
                Release(device);
                throw;
            }
        }

        public void Release(GpuDevice device)
        {
            foreach (GpuBuffer? b in new[] { Text, Ids, Output, ChunkStart, ChunkEnd, ChunkLimit, FixedEntry, ExitsA, ExitsB, Assumed, Counts, Dest, Changed })
                device.Free(b);
            Text = Ids = Output = ChunkStart = ChunkEnd = ChunkLimit = FixedEntry = ExitsA = ExitsB = Assumed = Counts = Dest = Changed = null!;
            if (HostText != null) { device.FreeHost(HostText); HostText = null; }
            if (HostInts != null) { device.FreeHost(HostInts); HostInts = null; }
            Bytes = MaxChunks = 0;
            _owner = null;
        }
    }

    /// <summary>The host side of one piece: staged text bytes and the chunk table, in the work's host buffers.</summary>
    internal sealed class PiecePlan
    {
        public struct Span
        {
            public int Doc, FirstChunk, ChunkCount, TextStart;
            public long DocStart;
            public bool Cut;
        }

        private readonly int _capacity, _chunk, _overlap, _maxChunks;
        public readonly byte* Text;
        public readonly int* Start, End, Limit, Fixed, Exits, Counts, Assumed, Dest;
        public Span[] Spans = new Span[16];
        public int SpanCount, ChunkCount, TextLength;

        public PiecePlan(Work w, int capacity, int chunk, int overlap)
        {
            _capacity = capacity; _chunk = chunk; _overlap = overlap; _maxChunks = w.MaxChunks;
            Text = w.HostText;
            int m = w.MaxChunks;
            Start = w.HostInts; End = Start + m; Limit = End + m; Fixed = Limit + m; Exits = Fixed + m;
            Counts = Exits + m; Assumed = Counts + m; Dest = Assumed + m;
        }

        public void Clear() { SpanCount = 0; ChunkCount = 0; TextLength = 0; }

        /// <summary>
        /// Places doc[from..) (as much as fits) with its first token starting entryOffset bytes in.
        /// Returns false when nothing fits (the piece is full); placedEnd is the document position
        /// where this piece's part ends (tokens may read up to _overlap bytes further).
        /// </summary>
        public bool AddSpan(int doc, byte* text, long length, long from, long entryOffset, out long placedEnd)
        {
            placedEnd = from;
            long room = _capacity - TextLength;
            long rest = length - from;
            long nominal = rest <= room ? rest : room - _overlap;   // a cut span also carries the overlap
            if (nominal <= 0 || ChunkCount + 1 > _maxChunks) return false;
            long chunks = (nominal + _chunk - 1) / _chunk;
            if (ChunkCount + chunks > _maxChunks) { chunks = _maxChunks - ChunkCount; nominal = Math.Min(nominal, chunks * _chunk); }
            // The carried entry must lie inside this part (a fresh piece always has room for it: see ChoosePieceBytes).
            if (nominal < entryOffset) return false;
            long readable = Math.Min(rest, nominal + _overlap);
            Buffer.MemoryCopy(text + from, Text + TextLength, readable, readable);
            if (SpanCount == Spans.Length) Array.Resize(ref Spans, Spans.Length * 2);
            Spans[SpanCount++] = new Span
            {
                Doc = doc, FirstChunk = ChunkCount, ChunkCount = (int)chunks, TextStart = TextLength, DocStart = from,
                Cut = from + nominal < length,
            };
            int limit = TextLength + (int)readable;
            for (long k = 0; k < chunks; k++)
            {
                int c = ChunkCount++;
                Start[c] = TextLength + (int)(k * _chunk);
                End[c] = TextLength + (int)Math.Min(nominal, (k + 1) * _chunk);
                Limit[c] = limit;
                Fixed[c] = k == 0 ? TextLength + (int)entryOffset : -1;
            }
            TextLength += (int)readable;
            placedEnd = from + nominal;
            return true;
        }
    }
}
