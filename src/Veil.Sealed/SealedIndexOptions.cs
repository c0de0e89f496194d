namespace Veil.Sealed;

/// <summary>Settings of the key holder's index (HNSW over int8-quantised vectors).</summary>
public sealed class SealedIndexOptions
{
    /// <summary>The default <see cref="M"/>.</summary>
    public const int DefaultM = 16;

    /// <summary>The default <see cref="EfConstruction"/>.</summary>
    public const int DefaultEfConstruction = 128;

    /// <summary>The default <see cref="EfSearch"/>.</summary>
    public const int DefaultEfSearch = 128;

    /// <summary>Links per node on the upper levels (twice as many on level 0). Default 16.</summary>
    public int M { get; init; } = DefaultM;

    /// <summary>Beam width while inserting. Default 128.</summary>
    public int EfConstruction { get; init; } = DefaultEfConstruction;

    /// <summary>Beam width while searching (at least the number of candidates asked for). Default 128.</summary>
    public int EfSearch { get; init; } = DefaultEfSearch;

    /// <summary>Seeds the level of each node; null picks a random seed (kept in snapshots).</summary>
    public ulong? Seed { get; init; }
}
