using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation;

/// <summary>
/// Synthetic embeddings for CI and for timing (threat model §4.2): an anisotropic Gaussian mixture with two high-mean
/// "rogue" dimensions, each row unit-normalised and labelled with its mixture component.
/// </summary>
[Experimental("VEIL001")]
public static class SyntheticData
{
    /// <summary><paramref name="count"/> rows of <paramref name="dimensions"/> from <paramref name="components"/> components, reproducible from <paramref name="seed"/>.</summary>
    public static EvaluationData Generate(int count, int dimensions, int seed, int components = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(components, 1);
        var random = new Random(seed);
        float[][] centres = Enumerable.Range(0, components)
            .Select(_ => Enumerable.Range(0, dimensions).Select(j => (float)Gaussian(random) + (j < 2 ? 3f : 0f)).ToArray()).ToArray();

        // Per-coordinate spread from 0.3 to 1.8: some directions carry much more variance than others.
        double[] scales = Enumerable.Range(0, dimensions).Select(j => 0.3 + (1.5 * j / dimensions)).ToArray();
        var vectors = new float[count][];
        var labels = new string?[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % components;
            labels[i] = $"c{c}";
            float[] v = Enumerable.Range(0, dimensions).Select(j => centres[c][j] + (float)(scales[j] * Gaussian(random))).ToArray();
            float norm = MathF.Sqrt(v.Sum(x => x * x));
            vectors[i] = v.Select(x => x / norm).ToArray();
        }

        return new EvaluationData(vectors, labels);
    }

    /// <summary>A standard normal draw (Box–Muller).</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
