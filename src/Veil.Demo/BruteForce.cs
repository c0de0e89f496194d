using System.Numerics.Tensors;

namespace Veil.Demo;

/// <summary>Exact nearest-neighbour search by scanning every item, the demo's ground truth.</summary>
internal static class BruteForce
{
    /// <summary>Squared Euclidean distance (Scale-And-Perturb approximately preserves Euclidean distance, scaled).</summary>
    public static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float distance = TensorPrimitives.Distance(a, b);
        return distance * distance;
    }

    /// <summary>The indices of the <paramref name="k"/> items with the smallest distance, nearest first.</summary>
    /// <param name="candidates">The item indices to consider.</param>
    /// <param name="distance">The distance of an item from the query.</param>
    /// <param name="k">How many to return.</param>
    public static int[] TopK(IEnumerable<int> candidates, Func<int, float> distance, int k)
    {
        // A max-heap of the best k so far: the root is the worst of them.
        var heap = new PriorityQueue<int, float>(k + 1, Comparer<float>.Create((x, y) => y.CompareTo(x)));
        foreach (int index in candidates)
        {
            float d = distance(index);
            if (heap.Count < k)
            {
                heap.Enqueue(index, d);
            }
            else if (heap.TryPeek(out _, out float worst) && d < worst)
            {
                heap.EnqueueDequeue(index, d);
            }
        }

        var result = new int[heap.Count];
        for (int i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }

    /// <summary>The fraction of <paramref name="exact"/> that <paramref name="found"/> contains.</summary>
    public static double Recall<T>(IReadOnlySet<T> exact, IEnumerable<T> found) =>
        exact.Count == 0 ? 1.0 : (double)found.Count(exact.Contains) / exact.Count;
}
