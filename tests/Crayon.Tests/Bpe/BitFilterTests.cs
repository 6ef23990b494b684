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

    [Fact]
    public void TheRankTablesHashesFillItAsWellMixedOnesDo()
    {
        // The rank table hands the filter its 32-bit key hash through FilterHash; every bit the filter
        // reads must vary, or absent keys get through more often than at 8 bits per key they should.
        var rng = new Random(3);
        const int keys = 100_000;
        var filter = new BitFilter(keys, bitsPerKey: 8);
        var key = new byte[12];
        var present = new HashSet<uint>();
        while (present.Count < keys)
        {
            rng.NextBytes(key);
            uint h = RankTable.Hash(key, out _);
            if (present.Add(h)) filter.Add(RankTable.FilterHash(h));
        }
        int through = 0, absent = 0;
        while (absent < 200_000)
        {
            rng.NextBytes(key);
            uint h = RankTable.Hash(key, out _);
            if (present.Contains(h)) continue;
            absent++;
            if (filter.MayContain(RankTable.FilterHash(h))) through++;
        }
        Assert.InRange((double)through / absent, 0, 0.05);
    }

    private static ulong Hash(ulong key) => key * 0xC2B2AE3D27D4EB4FUL;
}
