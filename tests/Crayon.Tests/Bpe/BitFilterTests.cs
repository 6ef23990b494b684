using Crayon.Bpe;

namespace Crayon.Tests.Bpe;

/// <summary>The filter in front of the rank and pair tables: never a false "absent", and few false "present".</summary>
public class BitFilterTests
{
    [Theory]
    [InlineData(8, 0.06)]
    [InlineData(16, 0.025)]
    public void NeverMissesAKeyAndLetsFewAbsentOnesThrough(int bitsPerKey, double mostLetThrough)
    {
        var rng = new Random(bitsPerKey);
        const int keys = 100_000;
        var filter = new BitFilter(keys, bitsPerKey);
        var present = new HashSet<ulong>();
        while (present.Count < keys) present.Add(Hash((ulong)rng.NextInt64()));
        foreach (ulong h in present) filter.Add(h);
        foreach (ulong h in present) Assert.True(filter.MayContain(h));

        int through = 0, absent = 0;
        while (absent < 200_000)
        {
            ulong h = Hash((ulong)rng.NextInt64());
            if (present.Contains(h)) continue;
            absent++;
            if (filter.MayContain(h)) through++;
        }
        Assert.InRange((double)through / absent, 0, mostLetThrough);
    }

    private static ulong Hash(ulong key) => key * 0xC2B2AE3D27D4EB4FUL;
}
