namespace Veil.Sealed;

/// <summary>
/// Figures of a sealed index at one moment, read under one lock: how many keys it holds, how much of its graph is
/// built or deleted, and the memory of the graph's arrays. For monitoring and benchmarks; they hold no key, vector or
/// graph content.
/// </summary>
/// <param name="Dimensions">The vector dimension.</param>
/// <param name="Count">Keys in the index, those still queued for the graph included.</param>
/// <param name="PendingCount">Keys queued for the graph and not inserted yet (found by an exact scan meanwhile); 0 when not deferred.</param>
/// <param name="NodeCount">Nodes in the graph, deleted ones (waypoints left by deletes and updates) included.</param>
/// <param name="DeletedFraction">The share of the graph's nodes that are deleted (0 for an empty graph); compaction starts at <see cref="SealedCollectionOptions.GraphCompactionThreshold"/>.</param>
/// <param name="GraphBytes">Bytes held by the graph's arrays (int8 codes, scales, links), keys and maps not included.</param>
public sealed record SealedIndexStatistics(int Dimensions, int Count, int PendingCount, int NodeCount, double DeletedFraction, long GraphBytes);
