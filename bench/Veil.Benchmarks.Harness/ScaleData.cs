using System.Numerics.Tensors;

namespace Veil.Benchmarks.Harness;

/// <summary>
/// Seeded vectors with the neighbourhoods of real embeddings: each point is a corpus embedding (a "centre") plus a
/// small isotropic perturbation of random size, normalised. The centres are real all-MiniLM-L6-v2 vectors, so points
/// cluster as real text does (related packages near each other); the random radius makes each cluster dense at its
/// core and sparse at its rim, so that a query's nearest neighbours are at clearly different distances (unlike i.i.d.
/// Gaussian vectors, on which every point is nearly equidistant from every other and HNSW recall means nothing).
/// </summary>
/// <remarks>
/// Row <c>i</c> is <c>normalise(c + σ·u·g/√d)</c> with <c>c</c> a uniformly drawn centre, <c>u ~ U(0, 1)</c> and
/// <c>g ~ N(0, I_d)</c> (so the perturbation's length is about σ·u), drawn from a <see cref="Random"/> seeded with
/// the seed and the row's block of <see cref="BlockRows"/> rows (so blocks are generated in parallel and any row is
/// reproducible). Queries are drawn the same way from another seed: held-out perturbations, never rows of the set.
/// </remarks>
public sealed class ScaleData
{
    /// <summary>Rows generated from one seeded stream.</summary>
    public const int BlockRows = 4096;

    private ScaleData(int rows, int dimensions, float[] vectors)
    {
        Rows = rows;
        Dimensions = dimensions;
        Vectors = vectors;
    }

    /// <summary>Gets the number of rows.</summary>
    public int Rows { get; }

    /// <summary>Gets the vectors' dimension.</summary>
    public int Dimensions { get; }

    /// <summary>Gets the rows, row-major, unit length.</summary>
    public float[] Vectors { get; }

    /// <summary>Row <paramref name="row"/>.</summary>
    /// <param name="row">The row index.</param>
    /// <returns>The row's vector.</returns>
    public ReadOnlyMemory<float> Row(int row) => new(Vectors, row * Dimensions, Dimensions);

    /// <summary>Reads the centres: little-endian float32 rows of <paramref name="dimensions"/>, no header; a partial last row is ignored.</summary>
    /// <param name="path">The file.</param>
    /// <param name="dimensions">The dimension.</param>
    /// <returns>The centres, row-major.</returns>
    /// <exception cref="InvalidDataException">The file holds no complete row.</exception>
    public static float[] ReadCentres(string path, int dimensions)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int rows = bytes.Length / (4 * dimensions);
        if (rows == 0)
        {
            throw new InvalidDataException($"'{path}' holds no complete {dimensions}-d float32 row.");
        }

        float[] centres = new float[rows * dimensions];
        Buffer.BlockCopy(bytes, 0, centres, 0, centres.Length * 4);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The centres file is little-endian float32.");
        }

        return centres;
    }

    /// <summary>Generates <paramref name="rows"/> points around <paramref name="centres"/>.</summary>
    /// <param name="centres">The centres, row-major, unit length.</param>
    /// <param name="dimensions">The dimension.</param>
    /// <param name="rows">How many points.</param>
    /// <param name="noise">σ, the largest perturbation length.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The points.</returns>
    public static ScaleData Generate(float[] centres, int dimensions, int rows, float noise, int seed)
    {
        ArgumentNullException.ThrowIfNull(centres);
        int centreCount = centres.Length / dimensions;
        float[] vectors = new float[checked(rows * dimensions)];
        int blocks = (rows + BlockRows - 1) / BlockRows;
        Parallel.For(0, blocks, block =>
        {
            var random = new Random(unchecked((seed * 1_000_003) + block));
            int end = Math.Min(rows, (block + 1) * BlockRows);
            for (int r = block * BlockRows; r < end; r++)
            {
                Perturb(random, centres.AsSpan(random.Next(centreCount) * dimensions, dimensions), noise, vectors.AsSpan(r * dimensions, dimensions));
            }
        });
        return new ScaleData(rows, dimensions, vectors);
    }

    /// <summary>Exact top-<paramref name="k"/> rows by Euclidean distance for each query (in-process, every row compared).</summary>
    /// <param name="queries">The queries.</param>
    /// <param name="k">How many neighbours.</param>
    /// <returns>For each query, its nearest rows' indexes, nearest first.</returns>
    public int[][] ExactNearest(float[][] queries, int k)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var result = new int[queries.Length][];
        Parallel.For(0, queries.Length, q =>
        {
            // A bounded max-heap of the k best so far (priority = distance, largest on top).
            var best = new PriorityQueue<int, float>(k + 1, Comparer<float>.Create((a, b) => b.CompareTo(a)));
            ReadOnlySpan<float> query = queries[q];
            for (int r = 0; r < Rows; r++)
            {
                float distance = TensorPrimitives.Distance(query, Vectors.AsSpan(r * Dimensions, Dimensions));
                if (best.Count < k)
                {
                    best.Enqueue(r, distance);
                }
                else if (best.TryPeek(out _, out float worst) && distance < worst)
                {
                    best.DequeueEnqueue(r, distance);
                }
            }

            var nearest = new int[best.Count];
            for (int i = nearest.Length - 1; i >= 0; i--)
            {
                nearest[i] = best.Dequeue();
            }

            result[q] = nearest;
        });
        return result;
    }

    /// <summary>Queries drawn as the rows are, from their own seed.</summary>
    /// <param name="centres">The centres.</param>
    /// <param name="dimensions">The dimension.</param>
    /// <param name="count">How many queries.</param>
    /// <param name="noise">σ.</param>
    /// <param name="seed">The queries' seed (not the rows').</param>
    /// <returns>The queries, unit length.</returns>
    public static float[][] Queries(float[] centres, int dimensions, int count, float noise, int seed)
    {
        ArgumentNullException.ThrowIfNull(centres);
        int centreCount = centres.Length / dimensions;
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var query = new float[dimensions];
            Perturb(random, centres.AsSpan(random.Next(centreCount) * dimensions, dimensions), noise, query);
            return query;
        }).ToArray();
    }

    private static void Perturb(Random random, ReadOnlySpan<float> centre, float noise, Span<float> output)
    {
        double scale = noise * random.NextDouble() / Math.Sqrt(centre.Length);
        for (int i = 0; i < centre.Length; i++)
        {
            // A normal deviate (Box–Muller).
            double u = 1.0 - random.NextDouble();
            double g = Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2.0 * Math.PI * random.NextDouble());
            output[i] = centre[i] + (float)(scale * g);
        }

        float norm = TensorPrimitives.Norm(output);
        TensorPrimitives.Divide(output, norm, output);
    }
}
