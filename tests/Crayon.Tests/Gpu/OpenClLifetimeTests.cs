using System.Text;
using Crayon.Gpu;
using Crayon.Profiles;
using Crayon.Tests.Engine;
using Crayon.Tokenization;

namespace Crayon.Tests.Gpu;

/// <summary>Hot swap on a device tokenizer, and device memory that does not grow with use.</summary>
[Collection("opencl")]
public class OpenClLifetimeTests
{
    [OpenClFact]
    public void Swapping_profiles_while_batches_run_gives_one_profiles_ids_per_call()
    {
        var vocabA = EngineFixtures.SampleVocabulary();
        var vocabB = EngineFixtures.Words("th", "e ", "qu", "ick", " b", "row", "n f", "ox");
        byte[] imgA = Crayon.Dat.DatWriter.Build(vocabA, "a", "t"), imgB = Crayon.Dat.DatWriter.Build(vocabB, "b", "t");
        byte[][] docs = Enumerable.Range(0, 20).Select(i => Encoding.UTF8.GetBytes(EngineFixtures.Sample + i)).ToArray();
        int[] expectA, expectB;
        using (var a = new Tokenizer(Profile.FromBytes(imgA), "cpu")) expectA = GpuFixtures.Batch(a, docs).Ids;
        using (var b = new Tokenizer(Profile.FromBytes(imgB), "cpu")) expectB = GpuFixtures.Batch(b, docs).Ids;
        Assert.NotEqual(expectA, expectB);

        using var gpu = new Tokenizer(Profile.FromBytes(imgA), "opencl");
        gpu.Gpu!.ChunkBytes = 16;
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                gpu.Swap(Profile.FromBytes(i % 2 == 0 ? imgB : imgA));
                Thread.Sleep(1);
            }
        });
        int sawA = 0, sawB = 0;
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            for (int k = 0; k < 30; k++)
            {
                int[] ids = GpuFixtures.Batch(gpu, docs).Ids;
                if (ids.SequenceEqual(expectA)) Interlocked.Increment(ref sawA);
                else if (ids.SequenceEqual(expectB)) Interlocked.Increment(ref sawB);
                else Assert.Fail("ids of neither profile");
            }
        })).ToArray();
        Task.WaitAll(workers);
        stop.Cancel();
        swapper.Wait();
        Assert.Equal(60, sawA + sawB);
    }

    [OpenClFact]
    public void Device_memory_does_not_grow_over_many_calls_and_is_released_on_swap_and_dispose()
    {
        GpuDevice device = GpuDevices.Open("opencl");
        long before = device.LiveBytes;
        var docs = GpuFixtures.RealDocuments(20);
        using (var gpu = new Tokenizer(EngineFixtures.Load(EngineFixtures.SampleVocabulary()), "opencl"))
        {
            GpuFixtures.Batch(gpu, docs);
            long afterFirst = device.LiveBytes;
            Assert.True(afterFirst > before);
            for (int i = 0; i < 25; i++) GpuFixtures.Batch(gpu, i % 2 == 0 ? docs : docs.Take(3).ToList());
            Assert.Equal(afterFirst, device.LiveBytes);
            // A swap replaces the trie on the device: memory changes by the tries' size difference only.
            var small = EngineFixtures.Load(EngineFixtures.Words("ab"));
            int smallNodes = small.NodeCount;
            gpu.Swap(small);
            GpuFixtures.Batch(gpu, docs);
            long afterSwap = device.LiveBytes;
            for (int i = 0; i < 10; i++) GpuFixtures.Batch(gpu, docs);
            Assert.Equal(afterSwap, device.LiveBytes);
        }
        Assert.Equal(before, device.LiveBytes);
    }

    [Fact]
    public void Unknown_and_unavailable_devices_are_refused_with_what_is_available()
    {
        Assert.Throws<ArgumentException>(() => new Tokenizer("tpu"));
        if (!GpuDevices.TryOpen("cuda", out _, out _))
            Assert.Contains("available: cpu", Assert.ThrowsAny<NotSupportedException>(() => new Tokenizer("cuda")).Message);
    }
}
