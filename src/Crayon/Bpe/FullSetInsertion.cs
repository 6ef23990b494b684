namespace Crayon.Bpe;

/// <summary>
/// Where a per-thread cache puts a new entry in one of its sets: first, the others moving down one,
/// while the set has room; in a full set mostly in the last way, and only one store in eight first.
/// Always first made a set that more recurring entries map to than it has ways miss every time (each
/// new entry pushes out the next one due), and entries met once pushed recurring ones out too.
/// </summary>
internal struct FullSetInsertion
{
    private const uint FirstMask = 7;
    private uint _stores;

    /// <summary>True when the new entry goes to the first way; false when it replaces the last.</summary>
    public bool First(bool setFull) => !setFull || (++_stores & FirstMask) == 0;
}
