using System.Buffers;

namespace Veil.Sealed;

/// <summary>
/// A hierarchical navigable small-world graph (Malkov and Yashunin, 2018) over int8-quantised vectors, scored by
/// inner product (callers normalise for cosine). Nodes are numbered in insertion order; a node's level comes from a
/// hash of the graph's seed and its number, so replaying the same insertions rebuilds the same graph. Deleted nodes stay
/// in the graph as waypoints and are never returned.
/// </summary>
/// <remarks>
/// Searches only read; <see cref="AddRange"/> and <see cref="Delete"/> need the graph exclusively
/// (<see cref="SealedVectorIndex{TKey}"/> guards it with a reader-writer lock). Inside one <see cref="AddRange"/> call,
/// several threads may insert at once: every link list is then read and written under its own lock.
/// </remarks>
internal sealed class HnswGraph
{
    private const int MaxLevel = 16;
    private const int FormatVersion = 1;

    // Bounds a snapshot may declare (a larger value is refused as corrupt rather than allocated).
    private const int MaxDimensions = 65_536;
    private const int MaxM = 1_024;
    private const int MaxEfConstruction = 1 << 20;

    // Codes live in fixed blocks so that growing the index never copies (or transiently doubles) the largest array.
    private const int BlockShift = 14;
    private const int BlockNodes = 1 << BlockShift;

    private readonly double _levelFactor;
    private readonly List<sbyte[]> _codes = [];
    private float[] _scales;
    private int[][][] _links;
    private bool[] _deleted;
    private readonly Lock _entryLock = new();
    private int _entry = -1;
    private int _topLevel = -1;
    private volatile bool _concurrent;

    public HnswGraph(int dimensions, int m, int efConstruction, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(efConstruction, 1);
        Dimensions = dimensions;
        M = m;
        EfConstruction = efConstruction;
        Seed = seed;
        _levelFactor = 1 / Math.Log(m);
        _scales = new float[16];
        _links = new int[16][][];
        _deleted = new bool[16];
    }

    public int Dimensions { get; }

    public int M { get; }

    public int EfConstruction { get; }

    public ulong Seed { get; }

    /// <summary>Nodes ever added, deleted ones included.</summary>
    public int Count { get; private set; }

    /// <summary>Nodes not deleted.</summary>
    public int LiveCount { get; private set; }

    /// <summary>Bytes used by codes, scales, flags and links (codes are allocated in blocks of 16 384 rows).</summary>
    public long ApproximateBytes
    {
        get
        {
            long links = 0;
            for (int node = 0; node < Count; node++)
            {
                foreach (int[] level in _links[node])
                {
                    links += 24 + (4L * level.Length);
                }

                links += 24 + (8L * _links[node].Length);
            }

            return ((long)Count * Dimensions) + (4L * Count) + Count + links;
        }
    }

    /// <summary>Adds a vector (already normalised for cosine); returns its node number.</summary>
    public int Add(ReadOnlySpan<float> vector) => AddRange([vector.ToArray()], threads: 1);

    /// <summary>
    /// Adds vectors (already normalised for cosine) as consecutive nodes; returns the first node's number. With
    /// <paramref name="threads"/> &gt; 1 the nodes are inserted in parallel (each link list guarded by its own lock), so
    /// the graph then depends on thread timing; with 1 it is the graph sequential <see cref="Add"/> calls build. The
    /// caller must hold the graph exclusively (no concurrent searches).
    /// </summary>
    public int AddRange(IReadOnlyList<float[]> vectors, int threads)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        int first = Count;
        EnsureCapacity(first + vectors.Count);
        for (int i = 0; i < vectors.Count; i++)
        {
            int node = first + i;
            _scales[node] = Int8Vectors.Quantize(vectors[i], CodeSpan(node));
            int level = LevelOf(node);
            var links = new int[level + 1][];
            for (int l = 0; l <= level; l++)
            {
                links[l] = new int[MaxLinks(l) + 1];
            }

            _links[node] = links;
        }

        Count += vectors.Count;
        LiveCount += vectors.Count;
        int next = first;
        if (_entry < 0 && vectors.Count > 0)
        {
            _entry = first;
            _topLevel = _links[first].Length - 1;
            next++;
        }

        int end = first + vectors.Count;
        threads = Math.Min(threads, end - next);
        if (threads <= 1)
        {
            for (; next < end; next++)
            {
                Insert(next);
            }

            return first;
        }

        _concurrent = true;
        try
        {
            int shared = next - 1;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
            {
                for (int node = Interlocked.Increment(ref shared); node < end; node = Interlocked.Increment(ref shared))
                {
                    Insert(node);
                }
            });
        }
        finally
        {
            _concurrent = false;
        }

        return first;
    }

    /// <summary>Links an allocated node into the graph (safe to run for several nodes at once while <see cref="_concurrent"/>).</summary>
    private void Insert(int node)
    {
        int level = _links[node].Length - 1;
        int entry, topLevel;
        lock (_entryLock)
        {
            entry = _entry;
            topLevel = _topLevel;
        }

        ReadOnlySpan<sbyte> code = Code(node);
        float scale = _scales[node];
        int[] buffer = ArrayPool<int>.Shared.Rent((2 * M) + 1);
        try
        {
            for (int l = topLevel; l > level; l--)
            {
                entry = Greedy(code, scale, entry, l, buffer);
            }

            List<(float Score, int Node)> entries = [(Score(code, scale, entry), entry)];
            for (int l = Math.Min(level, topLevel); l >= 0; l--)
            {
                List<(float Score, int Node)> candidates = SearchLayer(code, scale, entries, EfConstruction, l, node, buffer);
                List<int> chosen = SelectNeighbours(candidates, M);
                foreach (int neighbour in chosen)
                {
                    // In parallel, other nodes may already have linked to this one and filled its list: Connect prunes then.
                    Connect(node, l, neighbour);
                    Connect(neighbour, l, node);
                }

                entries = candidates;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }

        if (level > topLevel)
        {
            lock (_entryLock)
            {
                if (level > _topLevel)
                {
                    _topLevel = level;
                    _entry = node;
                }
            }
        }
    }

    /// <summary>Marks a node deleted; false when it already was or does not exist.</summary>
    public bool Delete(int node)
    {
        if ((uint)node >= (uint)Count || _deleted[node])
        {
            return false;
        }

        _deleted[node] = true;
        LiveCount--;
        return true;
    }

    public bool IsDeleted(int node) => _deleted[node];

    /// <summary>Writes the node's dequantised vector (code × scale) into <paramref name="destination"/>; quantising it again gives the same code.</summary>
    public void Decode(int node, Span<float> destination)
    {
        ReadOnlySpan<sbyte> code = Code(node);
        float scale = _scales[node];
        for (int i = 0; i < code.Length; i++)
        {
            destination[i] = code[i] * scale;
        }
    }

    /// <summary>The <paramref name="count"/> live nodes nearest to <paramref name="query"/> (normalised for cosine), best first.</summary>
    public List<(float Score, int Node)> Search(ReadOnlySpan<float> query, int count, int ef)
    {
        var results = new List<(float Score, int Node)>();
        if (_entry < 0 || count <= 0)
        {
            return results;
        }

        sbyte[] code = new sbyte[Dimensions];
        float scale = Int8Vectors.Quantize(query, code);
        int entry = _entry;
        int[] buffer = new int[(2 * M) + 1];
        for (int l = _topLevel; l > 0; l--)
        {
            entry = Greedy(code, scale, entry, l, buffer);
        }

        int width = Math.Max(ef, count);
        while (true)
        {
            List<(float Score, int Node)> found = SearchLayer(code, scale, [(Score(code, scale, entry), entry)], width, 0, -1, buffer);
            results.Clear();
            foreach ((float score, int node) in found)
            {
                if (!_deleted[node])
                {
                    results.Add((score, node));
                    if (results.Count == count)
                    {
                        return results;
                    }
                }
            }

            // Deleted waypoints filled the beam: widen it (at most to every node).
            if (found.Count < width || width >= Count)
            {
                return results;
            }

            width = Math.Min(Count, width * 2);
        }
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(FormatVersion);
        writer.Write(Dimensions);
        writer.Write(M);
        writer.Write(EfConstruction);
        writer.Write(Seed);
        writer.Write(Count);
        writer.Write(_entry);
        writer.Write(_topLevel);
        for (int node = 0; node < Count; node++)
        {
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Code(node)));
        }

        for (int node = 0; node < Count; node++)
        {
            writer.Write(_scales[node]);
            writer.Write(_deleted[node]);
            writer.Write((byte)(_links[node].Length - 1));
            foreach (int[] level in _links[node])
            {
                writer.Write(level[0]);
                for (int i = 1; i <= level[0]; i++)
                {
                    writer.Write(level[i]);
                }
            }
        }
    }

    /// <summary>Reads a graph written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a graph of this format.</exception>
    public static HnswGraph Read(BinaryReader reader)
    {
        if (reader.ReadInt32() != FormatVersion)
        {
            throw new InvalidDataException("Unknown sealed index graph format.");
        }

        int dimensions = reader.ReadInt32();
        int m = reader.ReadInt32();
        int efConstruction = reader.ReadInt32();
        ulong seed = reader.ReadUInt64();
        int count = reader.ReadInt32();
        if (dimensions is < 1 or > MaxDimensions || m is < 2 or > MaxM || efConstruction is < 1 or > MaxEfConstruction || count < 0)
        {
            throw new InvalidDataException("Invalid sealed index graph header.");
        }

        Stream stream = reader.BaseStream;
        if (stream.CanSeek && (long)count * dimensions > stream.Length - stream.Position)
        {
            throw new InvalidDataException("Truncated sealed index graph.");
        }

        var graph = new HnswGraph(dimensions, m, efConstruction, seed);
        graph.EnsureCapacity(count);
        graph._entry = reader.ReadInt32();
        graph._topLevel = reader.ReadInt32();
        if (graph._entry < -1 || graph._entry >= count || graph._topLevel > MaxLevel || (count > 0 && graph._entry < 0))
        {
            throw new InvalidDataException("Invalid sealed index graph entry point.");
        }

        for (int node = 0; node < count; node++)
        {
            Span<byte> code = System.Runtime.InteropServices.MemoryMarshal.AsBytes(graph.CodeSpan(node));
            while (!code.IsEmpty)
            {
                // A stream may return fewer bytes than asked (a snapshot is read chunk by chunk).
                int read = reader.Read(code);
                code = read > 0 ? code[read..] : throw new InvalidDataException("Truncated sealed index graph.");
            }
        }
        for (int node = 0; node < count; node++)
        {
            graph._scales[node] = reader.ReadSingle();
            graph._deleted[node] = reader.ReadBoolean();
            int top = reader.ReadByte();
            if (top > MaxLevel)
            {
                throw new InvalidDataException("Invalid sealed index graph level.");
            }

            graph._links[node] = new int[top + 1][];
            for (int l = 0; l <= top; l++)
            {
                int[] level = new int[graph.MaxLinks(l) + 1];
                int links = reader.ReadInt32();
                if (links < 0 || links >= level.Length)
                {
                    throw new InvalidDataException("Invalid sealed index graph links.");
                }

                level[0] = links;
                for (int i = 1; i <= links; i++)
                {
                    int target = reader.ReadInt32();
                    if ((uint)target >= (uint)count)
                    {
                        throw new InvalidDataException("Invalid sealed index graph link.");
                    }

                    level[i] = target;
                }

                graph._links[node][l] = level;
            }

            if (!graph._deleted[node])
            {
                graph.LiveCount++;
            }
        }

        graph.Count = count;
        return graph;
    }

    private int MaxLinks(int level) => level == 0 ? 2 * M : M;

    private ReadOnlySpan<sbyte> Code(int node) => CodeSpan(node);

    private Span<sbyte> CodeSpan(int node) => _codes[node >> BlockShift].AsSpan((node & (BlockNodes - 1)) * Dimensions, Dimensions);

    private float Score(ReadOnlySpan<sbyte> code, float scale, int node) => scale * _scales[node] * Int8Vectors.Dot(code, Code(node));

    private float Score(int a, int b) => _scales[a] * _scales[b] * Int8Vectors.Dot(Code(a), Code(b));

    private int LevelOf(int node)
    {
        ulong z = Seed + (0x9E3779B97F4A7C15UL * (ulong)(node + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double uniform = ((z >> 11) + 1) * (1.0 / 9007199254740993.0);
        return Math.Min(MaxLevel, (int)(-Math.Log(uniform) * _levelFactor));
    }

    private int Greedy(ReadOnlySpan<sbyte> code, float scale, int entry, int level, int[] buffer)
    {
        float best = Score(code, scale, entry);
        bool moved = true;
        while (moved)
        {
            moved = false;
            ReadOnlySpan<int> links = Links(entry, level, buffer);
            foreach (int next in links)
            {
                float score = Score(code, scale, next);
                if (score > best)
                {
                    best = score;
                    entry = next;
                    moved = true;
                }
            }
        }

        return entry;
    }

    /// <summary>The ef best nodes reachable at <paramref name="level"/>, best first (excluding <paramref name="self"/>).</summary>
    private List<(float Score, int Node)> SearchLayer(ReadOnlySpan<sbyte> code, float scale, List<(float Score, int Node)> entries, int ef, int level, int self, int[] buffer)
    {
        int words = (Count + 63) / 64;
        ulong[] visited = ArrayPool<ulong>.Shared.Rent(words);
        Array.Clear(visited, 0, words);
        var candidates = new PriorityQueue<int, float>();
        var best = new PriorityQueue<int, float>();
        try
        {
            if (self >= 0)
            {
                visited[self >> 6] |= 1UL << self;
            }

            foreach ((float score, int node) in entries)
            {
                if ((visited[node >> 6] & (1UL << node)) == 0 && _links[node].Length > level)
                {
                    visited[node >> 6] |= 1UL << node;
                    candidates.Enqueue(node, -score);
                    best.Enqueue(node, score);
                    if (best.Count > ef)
                    {
                        best.Dequeue();
                    }
                }
            }

            while (candidates.TryDequeue(out int current, out float negative))
            {
                if (best.Count >= ef && best.TryPeek(out _, out float worst) && -negative < worst)
                {
                    break;
                }

                foreach (int next in Links(current, level, buffer))
                {
                    if ((visited[next >> 6] & (1UL << next)) != 0)
                    {
                        continue;
                    }

                    visited[next >> 6] |= 1UL << next;
                    float score = Score(code, scale, next);
                    if (best.Count < ef || (best.TryPeek(out _, out float bound) && score > bound))
                    {
                        candidates.Enqueue(next, -score);
                        best.Enqueue(next, score);
                        if (best.Count > ef)
                        {
                            best.Dequeue();
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(visited);
        }

        var result = new List<(float Score, int Node)>(best.Count);
        while (best.TryDequeue(out int node, out float score))
        {
            result.Add((score, node));
        }

        result.Reverse();
        return result;
    }

    /// <summary>The neighbour-selection heuristic: keep a candidate only if it is nearer the base than any kept one.</summary>
    private List<int> SelectNeighbours(List<(float Score, int Node)> candidates, int max)
    {
        var chosen = new List<int>(max);
        foreach ((float score, int node) in candidates)
        {
            if (chosen.Count >= max)
            {
                break;
            }

            bool keep = true;
            foreach (int other in chosen)
            {
                if (Score(node, other) > score)
                {
                    keep = false;
                    break;
                }
            }

            if (keep)
            {
                chosen.Add(node);
            }
        }

        return chosen;
    }

    /// <summary>The links of <paramref name="node"/> at <paramref name="level"/>: the list itself, or a copy taken under its lock while nodes are inserted in parallel.</summary>
    private ReadOnlySpan<int> Links(int node, int level, int[] buffer)
    {
        int[] links = _links[node][level];
        if (!_concurrent)
        {
            return links.AsSpan(1, links[0]);
        }

        lock (links)
        {
            int count = links[0];
            links.AsSpan(1, count).CopyTo(buffer);
            return buffer.AsSpan(0, count);
        }
    }

    private void Connect(int node, int level, int neighbour)
    {
        int[] links = _links[node][level];
        lock (links)
        {
            ConnectLocked(node, links, neighbour);
        }
    }

    private void ConnectLocked(int node, int[] links, int neighbour)
    {
        if (links[0] < links.Length - 1)
        {
            links[links[0] + 1] = neighbour;
            links[0]++;
            return;
        }

        var candidates = new List<(float Score, int Node)>(links[0] + 1) { (Score(node, neighbour), neighbour) };
        for (int i = 1; i <= links[0]; i++)
        {
            candidates.Add((Score(node, links[i]), links[i]));
        }

        candidates.Sort((a, b) => b.Score.CompareTo(a.Score));
        List<int> kept = SelectNeighbours(candidates, links.Length - 1);
        links[0] = kept.Count;
        for (int i = 0; i < kept.Count; i++)
        {
            links[i + 1] = kept[i];
        }
    }

    private void EnsureCapacity(int needed)
    {
        while (_codes.Count * BlockNodes < needed)
        {
            _codes.Add(new sbyte[checked(BlockNodes * Dimensions)]);
        }

        if (needed <= _scales.Length)
        {
            return;
        }

        int capacity = Math.Max(needed, _scales.Length * 2);
        Array.Resize(ref _scales, capacity);
        Array.Resize(ref _links, capacity);
        Array.Resize(ref _deleted, capacity);
    }
}
