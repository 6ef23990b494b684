using System.Text;
using Crayon.Profiles;
using Crayon.Tokenization;

namespace Crayon.Tests.Engine;

public class HotSwapTests
{
    [Fact]
    public void Concurrent_tokenize_during_swaps_always_sees_one_whole_profile()
    {
        var vocabA = EngineFixtures.SampleVocabulary();
        var vocabB = EngineFixtures.Words(" qu", "ick", " bro", "wn", " fo", "x ju", "mps", " la", "zy", " d", "og.");
        byte[] imgA = Crayon.Dat.DatWriter.Build(vocabA, "a", "t"), imgB = Crayon.Dat.DatWriter.Build(vocabB, "b", "t");
        byte[] text = Encoding.UTF8.GetBytes(EngineFixtures.Sample);
        int[] expectA, expectB;
        using (var a = new Tokenizer(Profile.FromBytes(imgA))) expectA = a.Tokenize(text);
        using (var b = new Tokenizer(Profile.FromBytes(imgB))) expectB = b.Tokenize(text);
        Assert.NotEqual(expectA, expectB);

        var released = new List<Profile>();
        var first = Profile.FromBytes(imgA);
        released.Add(first);
        using var tok = new Tokenizer(first);
        using var stop = new CancellationTokenSource();
        int failures = 0, calls = 0;
        var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var output = new int[text.Length];
            while (!stop.IsCancellationRequested)
            {
                long n = tok.Tokenize(text, output);
                var got = output.AsSpan(0, (int)n);
                if (!got.SequenceEqual(expectA) && !got.SequenceEqual(expectB)) Interlocked.Increment(ref failures);
                Interlocked.Increment(ref calls);
            }
        })).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 400 || (Volatile.Read(ref calls) < 2000 && clock.Elapsed.TotalSeconds < 20); i++)
        {
            var next = Profile.FromBytes(i % 2 == 0 ? imgB : imgA);
            lock (released) released.Add(next);
            tok.Swap(next);
        }
        stop.Cancel();
        Task.WaitAll(workers);
        Assert.Equal(0, failures);
        Assert.True(calls >= 2000, $"only {calls} calls ran during the swaps");
        // Every profile but the active one has been released once no call used it any more.
        Assert.All(released.Take(released.Count - 1), p => Assert.True(p.IsReleased));
        Assert.False(released[^1].IsReleased);
    }

    [Fact]
    public void A_lease_keeps_the_old_profile_alive_across_a_swap()
    {
        var old = EngineFixtures.Load(EngineFixtures.SampleVocabulary(), "old");
        using var tok = new Tokenizer(old);
        var lease = tok.Acquire();
        tok.Swap(EngineFixtures.Load(EngineFixtures.Words("zz"), "new"));
        Assert.False(old.IsReleased);
        Assert.Equal("old", lease.Profile.Name);
        lease.Dispose();
        Assert.True(old.IsReleased);
        using var l2 = tok.Acquire();
        Assert.Equal("new", l2.Profile.Name);
    }

    [Fact]
    public void Named_profiles_resolve_from_the_environment_directory()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"crayon-profiles-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string? saved = Environment.GetEnvironmentVariable(ProfileDirectories.EnvironmentVariable);
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "tiny.dat"), Crayon.Dat.DatWriter.Build(EngineFixtures.Words("ab"), "tiny", "t"));
            Environment.SetEnvironmentVariable(ProfileDirectories.EnvironmentVariable, "/nonexistent:" + dir);
            Assert.Contains("tiny", ProfileRegistry.List());
            using var tok = new Tokenizer();
            tok.SetProfile("tiny");
            Assert.Equal([260], tok.Tokenize("ab"u8));
            var e = Assert.Throws<KeyNotFoundException>(() => tok.SetProfile("nosuch"));
            Assert.Contains("tiny", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ProfileDirectories.EnvironmentVariable, saved);
            Directory.Delete(dir, true);
        }
    }
}
