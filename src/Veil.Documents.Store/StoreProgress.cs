namespace Veil.Documents.Store;

/// <summary>How far a long store operation (ingest, rotation) has come, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Done">Documents (or rows) done so far.</param>
/// <param name="Total">Documents (or rows) in all, when known in advance; null otherwise.</param>
public readonly record struct StoreProgress(long Done, long? Total);
