namespace Veil.Cli.Demo;

/// <summary>
/// A seeded synthetic data set for <c>veil demo</c>: unit-norm vectors drawn around Gaussian cluster centres, each
/// with a category (its cluster) and a title, plus held-out queries from the same distribution.
/// </summary>
internal sealed class SampleSet
{
    private static readonly string[] s_categories =
    [
        "astronomy", "botany", "chemistry", "dentistry", "ecology", "finance", "geology", "history", "immunology", "jazz",
        "knitting", "linguistics", "meteorology", "nutrition", "oceanography", "philosophy", "quantum", "robotics", "sailing", "typography",
    ];

    private static readonly string[] s_words =
    [
        "notes", "primer", "survey", "handbook", "field guide", "case study", "lecture", "review", "memo", "digest",
        "atlas", "glossary", "report", "checklist", "tutorial", "essay",
    ];

    private static readonly string[] s_qualifiers =
    [
        "introductory", "advanced", "annotated", "practical", "historical", "modern", "illustrated", "concise", "extended", "applied",
    ];

    private SampleSet(float[][] vectors, string[] categories, string[] titles, float[][] queries)
    {
        Vectors = vectors;
        Categories = categories;
        Titles = titles;
        Queries = queries;
    }

    public float[][] Vectors { get; }

    public string[] Categories { get; }

    public string[] Titles { get; }

    public float[][] Queries { get; }

    public int Dimensions => Vectors[0].Length;

    /// <summary>Generates the set; the same arguments always give the same set.</summary>
#pragma warning disable CA5394 // Synthetic, non-secret sample data: reproducible System.Random is what is wanted.
    public static SampleSet Generate(int count, int dimensions, int clusters, int queryCount, int seed)
    {
        var random = new Random(seed);
        clusters = Math.Clamp(clusters, 1, s_categories.Length);
        float[][] centres = new float[clusters][];
        for (int c = 0; c < clusters; c++)
        {
            centres[c] = Normalize(Gaussian(random, dimensions, 1.0));
        }

        // Per-coordinate spread such that a point's offset from its centre has norm about 0.75: clusters overlap
        // enough that nearest neighbours are not simply "the same cluster".
        double spread = 0.75 / Math.Sqrt(dimensions);
        var vectors = new float[count][];
        var categories = new string[count];
        var titles = new string[count];
        for (int i = 0; i < count; i++)
        {
            int cluster = random.Next(clusters);
            vectors[i] = Around(random, centres[cluster], spread);
            categories[i] = s_categories[cluster];
            titles[i] = $"{Capitalize(s_qualifiers[random.Next(s_qualifiers.Length)])} {s_categories[cluster]} {s_words[random.Next(s_words.Length)]} no. {i}";
        }

        var queries = new float[queryCount][];
        for (int q = 0; q < queryCount; q++)
        {
            queries[q] = Around(random, centres[random.Next(clusters)], spread);
        }

        return new SampleSet(vectors, categories, titles, queries);
    }

    private static float[] Around(Random random, float[] centre, double spread)
    {
        float[] noise = Gaussian(random, centre.Length, spread);
        for (int d = 0; d < noise.Length; d++)
        {
            noise[d] += centre[d];
        }

        return Normalize(noise);
    }

    private static float[] Gaussian(Random random, int dimensions, double sigma)
    {
        var values = new float[dimensions];
        for (int d = 0; d < dimensions; d++)
        {
            // Box–Muller.
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            values[d] = (float)(sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return values;
    }
#pragma warning restore CA5394

    private static float[] Normalize(float[] vector)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
