using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>
/// L3, ciphertexts only: aligns stolen ciphertexts with a public corpus embedded by the same model, in the spirit of
/// mini-vec2vec. Both sets are centred and unit-normalised; the start is L4's coordinate matching from per-coordinate
/// statistics; then, repeatedly, mutual nearest neighbours across the two sets become pseudo-pairs, and the
/// coordinate map is refitted on them by Procrustes restricted to permutations (the assignment maximising
/// trace(PᵀCᵀM), Hungarian), since Scale-And-Perturb's key transform is a scaled coordinate permutation.
/// </summary>
[Experimental("VEIL001")]
public static class CiphertextOnlyAlignment
{
    /// <summary>
    /// The alignment: for each ciphertext coordinate the public coordinate it is mapped to, the number of iterations
    /// run and the mutual-nearest-neighbour pseudo-pairs of the last one. With more rows than
    /// <paramref name="pairSample"/> on a side, each round looks for pseudo-pairs among a fresh random sample of that many
    /// rows of each set (the statistics still use every row), so a round costs O(sample²·d), not O(n²·d).
    /// </summary>
    public static (int[] Map, int Iterations, int Pairs) Align(IReadOnlyList<float[]> ciphertexts, IReadOnlyList<float[]> publicCorpus, int maxIterations = 20, int pairSample = int.MaxValue, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(ciphertexts);
        ArgumentNullException.ThrowIfNull(publicCorpus);
        float[][] c = CentredUnit(ciphertexts);
        float[][] p = CentredUnit(publicCorpus);
        int d = c[0].Length;
        int[] map = PermutationAttack.Recover(ciphertexts, publicCorpus);
        int iterations = 0;
        var random = new Random(seed);
        (int Cipher, int Public)[] pairs = [];
        while (iterations < maxIterations)
        {
            iterations++;
            int[] cs = Sample(c.Length, pairSample, random);
            int[] ps = Sample(p.Length, pairSample, random);
            pairs = MutualNeighbours.Find(Apply(map, cs.Select(i => c[i]).ToArray()), ps.Select(i => p[i]).ToArray())
                .Select(x => (cs[x.Left], ps[x.Right])).ToArray();
            // Procrustes over permutations: maximise Σ_pairs ⟨P·c, m⟩, a linear assignment on the cross-covariance CᵀM.
            Matrix<double> covariance = LinearAttacks.ToMatrix(pairs.Select(x => c[x.Cipher]).ToArray())
                .TransposeThisAndMultiply(LinearAttacks.ToMatrix(pairs.Select(x => p[x.Public]).ToArray()));
            double[,] cost = new double[d, d];
            for (int j = 0; j < d; j++)
            {
                for (int l = 0; l < d; l++)
                {
                    cost[j, l] = -covariance[j, l];
                }
            }

            int[] next = PermutationAttack.Hungarian(cost);
            if (next.SequenceEqual(map))
            {
                break;
            }

            map = next;
        }

        return (map, iterations, pairs.Length);
    }

    /// <summary>Rows with coordinate j moved to map[j].</summary>
    public static float[][] Apply(int[] map, IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(rows);
        return rows.Select(r =>
        {
            float[] moved = new float[r.Length];
            for (int j = 0; j < r.Length; j++)
            {
                moved[map[j]] = r[j];
            }

            return moved;
        }).ToArray();
    }

    /// <summary>Each row minus the set's mean, scaled to unit length.</summary>
    public static float[][] CentredUnit(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        float[] mean = new float[rows[0].Length];
        foreach (float[] row in rows)
        {
            TensorPrimitives.Add(mean, row, mean);
        }

        TensorPrimitives.Divide(mean, rows.Count, mean);
        return rows.Select(r =>
        {
            float[] centred = new float[r.Length];
            TensorPrimitives.Subtract(r, mean, centred);
            float norm = TensorPrimitives.Norm(centred);
            if (norm > 0)
            {
                TensorPrimitives.Divide(centred, norm, centred);
            }

            return centred;
        }).ToArray();
    }

    /// <summary>All of 0…n−1 when n ≤ size; otherwise a random subset of that size.</summary>
    internal static int[] Sample(int n, int size, Random random)
    {
        int[] all = Enumerable.Range(0, n).ToArray();
        if (n <= size)
        {
            return all;
        }

        random.Shuffle(all);
        return all[..size];
    }
}
