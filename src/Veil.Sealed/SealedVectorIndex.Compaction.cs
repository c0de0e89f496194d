namespace Veil.Sealed;

/// <content>Graph compaction: a new graph built from the live nodes only.</content>
public sealed partial class SealedVectorIndex<TKey>
{
    /// <summary>Nodes in the graph, deleted ones (waypoints left by deletes and updates) included.</summary>
    public int NodeCount
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _graph.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>The share of the graph's nodes that are deleted (0 for an empty graph).</summary>
    public double DeletedFraction
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _graph.Count == 0 ? 0 : (double)(_graph.Count - _graph.LiveCount) / _graph.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// A new index holding only the live keys, its graph built by inserting their vectors again (decoded from their int8
    /// codes, which quantise back to the same codes) with the same M, efConstruction, efSearch and seed: no deleted
    /// node, and the memory they held is not carried over. This index is unchanged and stays searchable meanwhile;
    /// writes to it wait until the copy is done.
    /// </summary>
    public SealedVectorIndex<TKey> CompactGraph()
    {
        var compacted = new SealedVectorIndex<TKey>(
            new HnswGraph(_graph.Dimensions, _graph.M, _graph.EfConstruction, _graph.Seed),
            CopyOptions);
        var live = new List<KeyValuePair<TKey, float[]>>();
        _lock.EnterReadLock();
        try
        {
            for (int node = 0; node < _graph.Count; node++)
            {
                if (!_graph.IsDeleted(node) && _keys[node] is { } key)
                {
                    float[] vector = new float[_graph.Dimensions];
                    _graph.Decode(node, vector);
                    live.Add(new(key, vector));
                }
            }

            // Vectors still queued for deferred insertion are live too: they carry over, exactly.
            foreach ((TKey key, float[] vector) in _pending)
            {
                live.Add(new(key, vector));
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        try
        {
            compacted.UpsertRange(live);
        }
        catch
        {
            compacted.Dispose();
            throw;
        }

        return compacted;
    }
}
