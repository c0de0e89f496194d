using System.Numerics.Tensors;

namespace Veil.Evaluation;

/// <summary>Mutual nearest neighbours (largest dot product) between two sets of rows, one pass over all pairs, in parallel.</summary>
internal static class MutualNeighbours
{
    /// <summary>
    /// The pairs (a, b) where b is a's nearest row of <paramref name="right"/> and a is b's nearest row of
    /// <paramref name="left"/>, by dot product (ties to the smaller index), in increasing a.
    /// </summary>
    public static (int Left, int Right)[] Find(IReadOnlyList<float[]> left, IReadOnlyList<float[]> right)
    {
        int m = right.Count;
        int[] bestRight = new int[left.Count];
        float[] bestLeftScore = Enumerable.Repeat(float.NegativeInfinity, m).ToArray();
        int[] bestLeft = new int[m];
        var gate = new object();
        Parallel.For(
            0,
            left.Count,
            () => (Score: Enumerable.Repeat(float.NegativeInfinity, m).ToArray(), Index: new int[m]),
            (i, _, local) =>
            {
                float[] row = left[i];
                float best = float.NegativeInfinity;
                int bestIndex = 0;
                for (int k = 0; k < m; k++)
                {
                    float score = TensorPrimitives.Dot(row, right[k]);
                    if (score > best)
                    {
                        best = score;
                        bestIndex = k;
                    }

                    if (score > local.Score[k] || (score == local.Score[k] && i < local.Index[k]))
                    {
                        local.Score[k] = score;
                        local.Index[k] = i;
                    }
                }

                bestRight[i] = bestIndex;
                return local;
            },
            local =>
            {
                lock (gate)
                {
                    for (int k = 0; k < m; k++)
                    {
                        if (local.Score[k] > bestLeftScore[k] || (local.Score[k] == bestLeftScore[k] && local.Index[k] < bestLeft[k]))
                        {
                            bestLeftScore[k] = local.Score[k];
                            bestLeft[k] = local.Index[k];
                        }
                    }
                }
            });
        return Enumerable.Range(0, left.Count).Where(i => bestLeft[bestRight[i]] == i).Select(i => (i, bestRight[i])).ToArray();
    }
}
