using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.Tests.Support;

/// <summary>A record with every kind of protection.</summary>
public sealed class Doc
{
    public const int Dimensions = 384;

    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreData(IsIndexed = true)]
    [EncryptDeterministically]
    public string? Category { get; set; }

    [VectorStoreData]
    [EncryptStandard]
    public string? Title { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int Year { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }
}

/// <summary>The collection options of the tests, over <see cref="RotatingClients"/>' paths and tenant.</summary>
public static class TestOptions
{
    public static EncryptingCollectionOptions Create(bool oneWay = false, bool rerank = true, int candidates = EncryptingCollectionOptions.DefaultRerankCandidates) =>
        new(new SecretPath(RotatingClients.VectorPath), new DerivationPath("minilm"), new TenantId(RotatingClients.Tenant))
        {
            DeterministicSecretPath = new SecretPath(RotatingClients.FieldPath),
            OneWay = oneWay,
            ExactReranking = rerank,
            RerankCandidates = candidates,
        };
}

/// <summary>Seeded synthetic embeddings: unit vectors in Gaussian clusters around random unit centres.</summary>
public static class Synthetic
{
    public static float[][] Clustered(int count, int clusters, float spread, int seed, int dimensions = Doc.Dimensions)
    {
        var random = new Random(seed);
        float[][] centres = Enumerable.Range(0, clusters).Select(_ => Unit(Gaussian(random, dimensions, 1f))).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            float[] centre = centres[random.Next(clusters)];
            float[] noise = Gaussian(random, dimensions, spread / MathF.Sqrt(dimensions));
            return Unit(centre.Zip(noise, (c, n) => c + n).ToArray());
        }).ToArray();
    }

    /// <summary>
    /// Embedding-like data: clustered points in a <paramref name="latentDimensions"/>-dimensional space, mapped into
    /// <see cref="Doc.Dimensions"/> dimensions by a random linear map, with a little isotropic noise, normalised.
    /// Real sentence embeddings have a low intrinsic dimension like this.
    /// </summary>
    public static float[][] LowRank(int count, int latentDimensions, int clusters, float spread, float noise, int seed, int dimensions = Doc.Dimensions)
    {
        var random = new Random(seed);
        float[][] map = Enumerable.Range(0, latentDimensions).Select(_ => Gaussian(random, dimensions, 1f)).ToArray();
        float[][] centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, latentDimensions, 1f)).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            float[] centre = centres[random.Next(clusters)];
            float[] latent = Gaussian(random, latentDimensions, spread).Zip(centre, (n, c) => n + c).ToArray();
            float[] point = Gaussian(random, dimensions, noise);
            for (int k = 0; k < latentDimensions; k++)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(map[k], latent[k], point, point);
            }

            return Unit(point);
        }).ToArray();
    }

    public static Doc Record(int i, float[] vector, string? category = null) => new()
    {
        Id = $"doc-{i}",
        Category = category ?? $"cat-{i % 3}",
        Title = $"Title {i}",
        Year = 2000 + (i % 10),
        Embedding = vector,
    };

    private static float[] Gaussian(Random random, int dimensions, float scale)
    {
        var values = new float[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            values[i] = scale * (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return values;
    }

    private static float[] Unit(float[] vector)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        return vector.Select(v => v / norm).ToArray();
    }
}
