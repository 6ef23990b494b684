using System.Buffers.Binary;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Crayon.Streaming;

/// <summary>What <see cref="ShardFile.Write"/> reads and writes.</summary>
public sealed class ShardOptions
{
    /// <summary>The text file (any size; read sequentially).</summary>
    public required string Input { get; init; }

    /// <summary>The id file to write: ids as little-endian integers of <see cref="IdBytes"/> bytes, nothing else.</summary>
    public required string Output { get; init; }

    /// <summary>The index file to write (<see cref="ShardIndex"/>), or null for none.</summary>
    public string? Index { get; init; }

    /// <summary>2 (uint16) or 4 (uint32).</summary>
    public int IdBytes { get; init; } = 4;

    /// <summary>Bytes that separate documents (dropped, not tokenized); empty: the file is one document.</summary>
    public byte[] DocumentSeparator { get; init; } = [];

    /// <summary>An id written before each document's ids, or -1 for none.</summary>
    public int Bos { get; init; } = -1;

    /// <summary>Tokenizing threads; 0 or less: all cores.</summary>
    public int Threads { get; init; }

    /// <summary>About how many bytes one thread tokenizes at a time.</summary>
    public int JobBytes { get; init; } = 1 << 20;
}

/// <summary>What a shard run wrote.</summary>
public readonly record struct ShardResult(long Documents, long Tokens, long Bytes);

/// <summary>
/// Streams a text file of any size into a flat id file plus a document index, in bounded memory,
/// on all cores, atomically (docs/streaming.md).
/// </summary>
/// <remarks>
/// The file is read in rounds of threads × JobBytes bytes. Each round is cut into jobs at points
/// where the text tokenizes independently — document separators, and inside a document the
/// engine's independent cuts — and the jobs are tokenized in parallel, then written in order.
/// Text with no independent cut for a long stretch (a profile without initial-only bytes, one huge
/// whitespace run) goes through one <see cref="TokenStream"/> instead, on the calling thread.
/// Output goes to temporary files next to the targets, fsync'ed and renamed over them at the end; on
/// any error or cancellation they are deleted, so a file under the final name is always complete.
/// </remarks>
public static class ShardFile
{
    /// <summary>The longest document separator (it must fit well inside one round).</summary>
    public const int MaxSeparatorBytes = 4096;

    /// <summary>
    /// Runs the whole file. progress (may be null) is called on the calling thread after each round
    /// with (bytes read, file size or 0 when unknown); returning false cancels (OperationCanceledException).
    /// </summary>
    public static ShardResult Write(TokenEngine engine, ShardOptions options, Func<long, long, bool>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(options);
        Check(engine, options);
        return new Run(engine, options, progress).Execute();
    }

    private static void Check(TokenEngine engine, ShardOptions o)
    {
        if (o.IdBytes is not (2 or 4)) throw new ArgumentException($"ids are 2 (uint16) or 4 (uint32) bytes, not {o.IdBytes}");
        if (o.IdBytes == 2 && engine.IdLimit > 65536)
            throw new ArgumentException($"{engine.Describe()} has ids up to {engine.IdLimit - 1}, which do not fit in uint16 (0..65535): use uint32");
        if (o.Bos >= 0 && o.Bos >= engine.IdLimit)
            throw new ArgumentException($"the BOS id {o.Bos} is not an id of {engine.Describe()} (0..{engine.IdLimit - 1})");
        if (o.JobBytes < 1024) throw new ArgumentException("JobBytes must be at least 1024");
        if (o.DocumentSeparator is { Length: > MaxSeparatorBytes })
            throw new ArgumentException($"the document separator has {o.DocumentSeparator.Length} bytes; at most {MaxSeparatorBytes}");
        if (string.IsNullOrEmpty(o.Input) || string.IsNullOrEmpty(o.Output)) throw new ArgumentException("input and output paths must be given");
        string output = Path.GetFullPath(o.Output);
        if (output == Path.GetFullPath(o.Input)) throw new ArgumentException("the output file is the input file");
        if (o.Index != null && (Path.GetFullPath(o.Index) == output || Path.GetFullPath(o.Index) == Path.GetFullPath(o.Input)))
            throw new ArgumentException("the index file must differ from the input and output files");
    }

    /// <summary>
    /// A piece of the round's text that tokenizes on its own (Start, Length), or ids a session already
    /// produced (Precomputed); once tokenized, its ids are Ids[IdsStart .. IdsStart + IdsCount) of
    /// buffer Buffer (a group's buffer, or the session's).
    /// </summary>
    private record struct Job(int Start, int Length, bool StartsDocument, bool Precomputed)
    {
        public int Buffer, IdsStart, IdsCount;
    }

    private sealed class Run(TokenEngine engine, ShardOptions options, Func<long, long, bool>? progress)
    {
        private readonly int _workers = options.Threads <= 0 ? Environment.ProcessorCount : options.Threads;
        private readonly byte[] _separator = options.DocumentSeparator ?? [];
        private readonly ByteQueue _carry = new();
        private readonly List<Job> _jobs = [];
        // Jobs are tokenized in a few groups of consecutive jobs, one id buffer per group: memory
        // follows the round's size, not its number of documents (which can be thousands).
        private readonly List<IdBuffer> _groups = [];
        private readonly IdBuffer _sessionIds = new();
        private TokenStream? _session;      // the current document, when it has no independent cut
        // Longest match without normalisation: long stretches with no independent cut are matched
        // on all threads and stitched (ParallelLongestMatch) instead of going through one session.
        private readonly ParallelLongestMatch? _parallel = engine is LongestMatchEngine { Normalization: Normalization.TextNormalization.None } lm
            ? new ParallelLongestMatch(lm, options.Threads <= 0 ? Environment.ProcessorCount : options.Threads, Math.Max(512, options.JobBytes / 4))
            : null;
        private bool _documentOpen;         // the current document's first job has been made
        private long _consumed;             // input bytes before _carry's first
        private long _documents, _tokens;
        private IdWriter? _ids;
        private Stream? _index;

        public ShardResult Execute()
        {
            string idsTemp = TempNear(options.Output);
            string? indexTemp = options.Index == null ? null : TempNear(options.Index);
            bool done = false;
            long read = 0;
            try
            {
                using var input = new FileStream(options.Input, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                long total = input.CanSeek ? input.Length : 0;
                using (_ids = new IdWriter(idsTemp, options.IdBytes))
                using (_index = indexTemp == null ? null : NewFile(indexTemp))
                {
                    _index?.Write(new byte[ShardIndex.HeaderBytes]);   // patched at the end
                    var block = new byte[checked(_workers * options.JobBytes)];
                    while (true)
                    {
                        int n = ReadFull(input, block);
                        read += n;
                        bool end = n < block.Length;
                        Round(block.AsSpan(0, n), end);
                        if (progress != null && !progress(read, total)) throw new OperationCanceledException("cancelled");
                        if (end) break;
                    }
                    _ids.Finish();
                    if (_index != null)
                    {
                        ShardIndex.WriteOffset(_index, _tokens);
                        _index.Position = 0;
                        ShardIndex.WriteHeader(_index, options.IdBytes, _documents, _tokens);
                        ((FileStream)_index).Flush(flushToDisk: true);
                    }
                }
                // The index first: a reader finds the id file's size in it, so an old id file
                // left by a crash between the two renames is recognised as not matching.
                if (indexTemp != null) File.Move(indexTemp, options.Index!, overwrite: true);
                File.Move(idsTemp, options.Output, overwrite: true);
                done = true;
                return new ShardResult(_documents, _tokens, read);
            }
            finally
            {
                _session?.Dispose();
                if (!done)
                {
                    TryDelete(idsTemp);
                    if (indexTemp != null) TryDelete(indexTemp);
                }
            }
        }

        private void Round(ReadOnlySpan<byte> block, bool end)
        {
            _carry.Append(block);
            ReadOnlySpan<byte> all = _carry.Span;
            _jobs.Clear();
            int pos = 0;
            if (_separator.Length > 0)
            {
                int k;
                while ((k = all[pos..].IndexOf(_separator)) >= 0)
                {
                    EndDocument(all, pos, pos + k);
                    pos += k + _separator.Length;
                }
            }
            if (end)
            {
                EndDocument(all, pos, all.Length);
                pos = all.Length;
            }
            else
            {
                // Keep the bytes a separator could start in: the next read may complete it.
                int limit = all.Length - Math.Max(0, _separator.Length - 1);
                if (limit > pos) pos = DocumentPart(all, pos, limit);
            }
            Tokenize();
            WriteJobs();
            _carry.Consume(pos);
            _consumed += pos;
        }

        private void EndDocument(ReadOnlySpan<byte> all, int start, int end)
        {
            if (_session != null)
            {
                _session.Feed(all[start..end]);
                _session.Finish();
                AddSessionIds();
                _session.Dispose();
                _session = null;
            }
            else if (end > start || _documentOpen)
            {
                int p = SplitIndependent(all, start, end);
                if (_parallel != null && end - p > options.JobBytes)
                {
                    bool starts = !_documentOpen;
                    _documentOpen = true;
                    int before = _sessionIds.Count;
                    _parallel.Run(all[p..end], textEnds: true, _sessionIds);
                    AddPrecomputed(starts, before);
                }
                else if (end > p || !_documentOpen) AddJob(p, end - p);
            }
            // else: an empty document (two separators in a row, or a trailing one) is skipped.
            _documentOpen = false;
        }

        /// <summary>Text of a document that goes on after this round: jobs up to its last cut; returns where the rest starts.</summary>
        private int DocumentPart(ReadOnlySpan<byte> all, int start, int end)
        {
            if (_session != null)
            {
                _session.Feed(all[start..end]);
                AddSessionIds();
                return end;
            }
            int p = SplitIndependent(all, start, end);
            if (end > p)
            {
                int c = engine.IndependentCut(all[p..end]);
                if (c > 0)
                {
                    AddJob(p, c);
                    p += c;
                }
            }
            if (_parallel != null && end - p >= options.JobBytes)
            {
                // Matched on all threads up to where more text could still change a token.
                bool starts = !_documentOpen;
                _documentOpen = true;
                int before = _sessionIds.Count;
                p += _parallel.Run(all[p..end], textEnds: false, _sessionIds);
                AddPrecomputed(starts, before);
                return p;
            }
            if (end - p > Math.Min(4L * _workers * options.JobBytes, 64 << 20))
            {
                // No independent cut for a long stretch: stream the rest of this document.
                _session = engine.OpenStream();
                bool starts = !_documentOpen;
                _documentOpen = true;
                _session.Feed(all[p..end]);
                AddSessionIds(starts);
                return end;
            }
            return p;
        }

        /// <summary>Makes jobs of about JobBytes from start while cuts are found; returns where it stopped.</summary>
        private int SplitIndependent(ReadOnlySpan<byte> all, int start, int end)
        {
            int p = start;
            while (end - p > options.JobBytes)
            {
                int c = engine.IndependentCut(all.Slice(p, options.JobBytes));
                if (c <= 0) break;
                AddJob(p, c);
                p += c;
            }
            return p;
        }

        private void AddJob(int start, int length)
        {
            _jobs.Add(new Job(start, length, !_documentOpen, Precomputed: false));
            _documentOpen = true;
        }

        private void AddSessionIds(bool startsDocument = false)
        {
            int before = _sessionIds.Count;
            int n = _session!.ReadyCount;
            _sessionIds.Commit(_session.Take(_sessionIds.Reserve(n)));
            AddPrecomputed(startsDocument, before);
        }

        /// <summary>A job for the ids appended to _sessionIds since before (computed already).</summary>
        private void AddPrecomputed(bool startsDocument, int before) =>
            _jobs.Add(new Job(0, 0, startsDocument, Precomputed: true) { Buffer = -1, IdsStart = before, IdsCount = _sessionIds.Count - before });

        private void Tokenize()
        {
            ReadOnlyMemory<byte> text = _carry.Memory;
            long offset = _consumed;
            int groups = Math.Min(_jobs.Count, _workers == 1 ? 1 : 4 * _workers);
            while (_groups.Count < groups) _groups.Add(new IdBuffer());
            void Group(int g)
            {
                IdBuffer ids = _groups[g];
                ids.Clear();
                int from = (int)((long)_jobs.Count * g / groups), to = (int)((long)_jobs.Count * (g + 1) / groups);
                for (int i = from; i < to; i++)
                {
                    Job j = _jobs[i];
                    if (j.Precomputed) continue;
                    int before = ids.Count;
                    engine.EncodeWhole(text.Span.Slice(j.Start, j.Length), ids, offset + j.Start);
                    _jobs[i] = j with { Buffer = g, IdsStart = before, IdsCount = ids.Count - before };
                }
            }
            if (groups <= 1)
            {
                if (groups == 1) Group(0);
                return;
            }
            try
            {
                Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = _workers }, Group);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
        }

        private void WriteJobs()
        {
            foreach (Job job in _jobs)
            {
                if (job.StartsDocument)
                {
                    if (_index != null) ShardIndex.WriteOffset(_index, _tokens);
                    _documents++;
                    if (options.Bos >= 0)
                    {
                        _ids!.Write([options.Bos]);
                        _tokens++;
                    }
                }
                IdBuffer source = job.Buffer < 0 ? _sessionIds : _groups[job.Buffer];
                ReadOnlySpan<int> ids = source.Span.Slice(job.IdsStart, job.IdsCount);
                _ids!.Write(ids);
                _tokens += ids.Length;
            }
            // Keep ordinary sizes only: one huge document must not pin its ids' memory.
            int keep = 4 * options.JobBytes;
            foreach (IdBuffer g in _groups) g.Reset(keep);
            _sessionIds.Reset(keep);
        }
    }

    private static int ReadFull(Stream s, byte[] buffer)
    {
        int n = 0;
        while (n < buffer.Length)
        {
            int r = s.Read(buffer, n, buffer.Length - n);
            if (r == 0) break;
            n += r;
        }
        return n;
    }

    /// <summary>A new hidden file next to path (same directory, so the final rename is atomic).</summary>
    private static string TempNear(string path)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        return Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Random.Shared.Next():x8}.tmp");
    }

    private static FileStream NewFile(string path) =>
        new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Ids to a file as little-endian uint16 or uint32.</summary>
    private sealed class IdWriter(string path, int idBytes) : IDisposable
    {
        private readonly FileStream _file = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        private readonly byte[] _scratch = new byte[1 << 16];

        public void Write(ReadOnlySpan<int> ids)
        {
            if (idBytes == 4 && BitConverter.IsLittleEndian)
            {
                _file.Write(MemoryMarshal.AsBytes(ids));
                return;
            }
            int per = _scratch.Length / idBytes;
            for (int at = 0; at < ids.Length; at += per)
            {
                ReadOnlySpan<int> part = ids.Slice(at, Math.Min(per, ids.Length - at));
                Span<byte> dst = _scratch.AsSpan(0, part.Length * idBytes);
                for (int k = 0; k < part.Length; k++)
                {
                    if (idBytes == 2) BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * k)..], (ushort)part[k]);
                    else BinaryPrimitives.WriteInt32LittleEndian(dst[(4 * k)..], part[k]);
                }
                _file.Write(dst);
            }
        }

        public void Finish() => _file.Flush(flushToDisk: true);

        public void Dispose() => _file.Dispose();
    }
}
