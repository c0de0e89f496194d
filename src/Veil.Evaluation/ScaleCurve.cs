using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace Veil.Evaluation;

/// <summary>The key transforms the scale curve attacks.</summary>
[Experimental("VEIL001")]
public enum KeyTransformKind
{
    /// <summary>Scale-And-Perturb as Veil and Alloy do it: a keyed coordinate permutation, then scale and noise.</summary>
    Permutation,

    /// <summary>Evaluation only: a seeded dense random rotation applied before Scale-And-Perturb (not a Veil or Alloy transform).</summary>
    DenseRotation,

    /// <summary>Veil's opt-in <see cref="Keys.VectorKeyTransform.StructuredRotation"/> (not Alloy-compatible), through the real encryptor.</summary>
    StructuredRotation,
}

/// <summary>
/// L3 and L11 against one key transform at one β with <paramref name="Stolen"/> stolen ciphertexts and a public corpus of
/// <paramref name="PublicCorpus"/> rows that shares no row with them. Cosines are between the centred, unit-normalised
/// recovered ciphertext and its own centred plaintext, averaged over the stolen rows.
/// </summary>
/// <param name="Transform">The key transform attacked.</param>
/// <param name="Beta">β.</param>
/// <param name="Stolen">Stolen ciphertexts.</param>
/// <param name="PublicCorpus">Public plaintexts (disjoint from the stolen rows).</param>
/// <param name="KeyKnownCosine">The same cosine with the true key map (what an attacker who had the key's linear part would reach).</param>
/// <param name="L3Coordinates">L3: fraction of coordinates mapped right (null against the rotations: there are no coordinates to recover).</param>
/// <param name="L3Cosine">L3: mean cosine after applying the recovered permutation (null against the dense rotation: L3 only searches permutations, so it is not run; run against the structured rotation, whose last factor is a permutation).</param>
/// <param name="L3Iterations">L3 refinement rounds (null when not run).</param>
/// <param name="L11Coordinates">L11: fraction of ciphertext coordinates whose largest map entry is the true plaintext coordinate (null against the rotation).</param>
/// <param name="L11Cosine">L11: mean cosine after applying the recovered orthogonal map.</param>
/// <param name="L11Iterations">L11 refinement rounds.</param>
/// <param name="Seconds">Wall time of the point.</param>
[Experimental("VEIL001")]
public sealed record ScaleCurvePoint(
    KeyTransformKind Transform,
    double Beta,
    int Stolen,
    int PublicCorpus,
    double KeyKnownCosine,
    double? L3Coordinates,
    double? L3Cosine,
    int? L3Iterations,
    double? L11Coordinates,
    double L11Cosine,
    int L11Iterations,
    double Seconds);

/// <summary>
/// The scale curve: how L3 (permutation alignment) and L11 (orthogonal alignment) succeed as the thief steals more
/// ciphertexts, against the permutation key transform, a dense rotation and the structured rotation, with a disjoint
/// public corpus.
/// </summary>
[Experimental("VEIL001")]
public static class ScaleCurve
{
    /// <summary>The most public rows used (the rest of a large corpus is left out to bound the cost).</summary>
    public const int MaximumPublicRows = 10_000;

    /// <summary>The key transforms attacked, in report order.</summary>
    public static IReadOnlyList<KeyTransformKind> Transforms { get; } = [KeyTransformKind.Permutation, KeyTransformKind.DenseRotation, KeyTransformKind.StructuredRotation];

    /// <summary>
    /// Runs every β × transform (<paramref name="transforms"/>, or all of <see cref="Transforms"/>) × stolen size that fits: the public corpus is min(n/2, 10 000) rows of a seeded
    /// shuffle, the stolen sets are nested prefixes of the other rows, so sizes above n − public are left out.
    /// </summary>
    public static IReadOnlyList<ScaleCurvePoint> Run(
        IReadOnlyList<float[]> vectors,
        IReadOnlyList<double> betas,
        IReadOnlyList<int> stolenSizes,
        int seed,
        bool useScalingFactor = false,
        int maxIterations = 15,
        int pairSample = 2000,
        IReadOnlyList<KeyTransformKind>? transforms = null,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(betas);
        ArgumentNullException.ThrowIfNull(stolenSizes);
        int n = vectors.Count;
        int d = vectors[0].Length;
        int[] order = Enumerable.Range(0, n).ToArray();
        new Random(seed + 31).Shuffle(order);
        int publicRows = Math.Min(n / 2, MaximumPublicRows);
        float[][] publicCorpus = order[..publicRows].Select(i => vectors[i]).ToArray();
        int[] pool = order[publicRows..];
        int[] sizes = Sizes(n, stolenSizes);
        if (sizes.Length == 0)
        {
            return [];
        }

        float[][] stolenPlain = pool[..sizes[^1]].Select(i => vectors[i]).ToArray();
        var points = new List<ScaleCurvePoint>();
        for (int b = 0; b < betas.Count; b++)
        {
            foreach (KeyTransformKind kind in transforms ?? Transforms)
            {
                using VectorTransform transform = Create(kind, betas[b], useScalingFactor, d, seed + 2000 + b);
                Matrix<double> key = transform.KeyMap(d);
                int[] truth = Enumerable.Range(0, d).Select(j => key.Row(j).MaximumIndex()).ToArray();
                float[][] stolenCipher = transform.Encrypt(stolenPlain);
                foreach (int size in sizes)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    progress?.Report($"scale curve: β = {betas[b]}, {kind}, {size} stolen…");
                    points.Add(Point(kind, betas[b], stolenCipher[..size], stolenPlain[..size], publicCorpus, key, truth, maxIterations, pairSample, seed));
                }
            }
        }

        return points;
    }

    /// <summary>The stolen sizes that fit in <paramref name="rows"/> rows beside the disjoint public corpus, ascending.</summary>
    public static int[] Sizes(int rows, IReadOnlyList<int> stolenSizes)
    {
        ArgumentNullException.ThrowIfNull(stolenSizes);
        int pool = rows - Math.Min(rows / 2, MaximumPublicRows);
        return stolenSizes.Where(s => s >= 2 && s <= pool).Distinct().Order().ToArray();
    }

    private static ScaleCurvePoint Point(
        KeyTransformKind kind, double beta, float[][] cipher, float[][] plain, float[][] publicCorpus, Matrix<double> key, int[] truth, int maxIterations, int pairSample, int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        float[][] c = CiphertextOnlyAlignment.CentredUnit(cipher);
        float[][] p = CiphertextOnlyAlignment.CentredUnit(plain);
        double keyKnown = MeanCosine(OrthogonalAlignment.Apply(key.Transpose(), c), p);
        bool coordinates = kind == KeyTransformKind.Permutation;

        double? l3Coordinates = null;
        double? l3Cosine = null;
        int? l3Iterations = null;
        if (kind != KeyTransformKind.DenseRotation)
        {
            (int[] l3Map, int rounds, _) = CiphertextOnlyAlignment.Align(cipher, publicCorpus, maxIterations, pairSample, seed);
            l3Coordinates = coordinates ? l3Map.Where((g, j) => g == truth[j]).Count() / (double)truth.Length : null;
            l3Cosine = MeanCosine(CiphertextOnlyAlignment.Apply(l3Map, c), p);
            l3Iterations = rounds;
        }

        (Matrix<double> w, int l11Iterations, _) = OrthogonalAlignment.Align(cipher, publicCorpus, maxIterations, pairSample, seed);
        double? l11Coordinates = coordinates
            ? Enumerable.Range(0, truth.Length).Count(j => w.Column(j).MaximumIndex() == truth[j]) / (double)truth.Length
            : null;
        double l11Cosine = MeanCosine(OrthogonalAlignment.Apply(w, c), p);
        return new ScaleCurvePoint(kind, beta, cipher.Length, publicCorpus.Length, keyKnown, l3Coordinates, l3Cosine, l3Iterations, l11Coordinates, l11Cosine, l11Iterations, stopwatch.Elapsed.TotalSeconds);
    }

    internal static VectorTransform Create(KeyTransformKind kind, double beta, bool useScalingFactor, int dimensions, int seed)
    {
        return kind switch
        {
            KeyTransformKind.Permutation => new ScaleAndPerturbTransform((float)beta, useScalingFactor, seed),
            KeyTransformKind.DenseRotation => new RotatedTransform(new ScaleAndPerturbTransform((float)beta, useScalingFactor, seed), dimensions, seed + 7),
            KeyTransformKind.StructuredRotation => new ScaleAndPerturbTransform((float)beta, useScalingFactor, seed, Keys.VectorKeyTransform.StructuredRotation),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown key transform."),
        };
    }

    private static double MeanCosine(float[][] recovered, float[][] truth) =>
        recovered.Select((r, i) => (double)TensorPrimitives.CosineSimilarity(r, truth[i])).Average();
}
