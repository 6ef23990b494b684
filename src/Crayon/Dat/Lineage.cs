namespace Crayon.Dat;

/// <summary>
/// Where a vocabulary comes from: its version (1 when built from a list, the parent's + 1 when it
/// extends one) and, for a later version, the checksum of the parent .dat it extends. The parent's
/// own version is always Version − 1, so it is not stored.
/// </summary>
public readonly record struct Lineage(uint Version, ulong ParentChecksum)
{
    public static Lineage Root => new(1, 0);

    /// <summary>The lineage of a profile that extends <paramref name="parent"/>.</summary>
    internal static Lineage ChildOf(DatImage parent) =>
        parent.Lineage.Version == uint.MaxValue
            ? throw new InvalidOperationException("the parent is at the last vocabulary version")
            : new(parent.Lineage.Version + 1, parent.Checksum);

    public bool IsValid => Version >= 1 && (Version == 1) == (ParentChecksum == 0);

    public uint? ParentVersion => Version > 1 ? Version - 1 : null;
}
