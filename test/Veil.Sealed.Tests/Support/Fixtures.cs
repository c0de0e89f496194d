using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Sealed.Tests.Support;

/// <summary>A record with a sealed vector.</summary>
public sealed class Doc
{
    public const int Dimensions = 32;

    [VectorStoreKey]
    public string Id { get; set; } = string.Empty;

    [VectorStoreData(IsIndexed = true)]
    public string? Category { get; set; }

    [VectorStoreVector(Dimensions, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float>? Embedding { get; set; }

    [VectorStoreData]
    [SealedVector(nameof(Embedding))]
    public string? SealedEmbedding { get; set; }

    public static Doc Create(int i, float[] vector) => new() { Id = $"doc-{i}", Category = $"cat-{i % 5}", Embedding = vector };
}

/// <summary>Keys: a keyring over two standard secrets (primary id 2), and one of another tenant.</summary>
public sealed class SealedTestKeys : IDisposable
{
    private readonly Secret _current = Secret.Generate();
    private readonly Secret _old = Secret.Generate();

    public SealedTestKeys()
    {
        var secrets = new StandardSecrets(new KeyId(2), [new IdentifiedSecret(new KeyId(2), _current), new IdentifiedSecret(new KeyId(1), _old)]);
        Keyring = new SealedKeyring(secrets, new TenantId("tenant-1"));
        OtherTenant = new SealedKeyring(secrets, new TenantId("tenant-2"));
        OldOnly = new SealedKeyring(new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), _old)]), new TenantId("tenant-1"));
        NewOnly = new SealedKeyring(new StandardSecrets(new KeyId(2), [new IdentifiedSecret(new KeyId(2), _current)]), new TenantId("tenant-1"));
    }

    public SealedKeyring Keyring { get; }

    public SealedKeyring OtherTenant { get; }

    /// <summary>Seals with the old secret (id 1), as the keyring did before rotation.</summary>
    public SealedKeyring OldOnly { get; }

    /// <summary>Only the current secret (id 2), as after the old one was retired.</summary>
    public SealedKeyring NewOnly { get; }

    public void Dispose()
    {
        Keyring.Dispose();
        OtherTenant.Dispose();
        OldOnly.Dispose();
        NewOnly.Dispose();
        _current.Dispose();
        _old.Dispose();
    }
}

/// <summary>Seeded clustered unit vectors and exact search.</summary>
public static class Synthetic
{
    public static float[][] Clustered(int count, int dimensions, int clusters, float spread, int seed)
    {
        var random = new Random(seed);
        float[][] centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, dimensions, 1f)).ToArray();
        return Enumerable.Range(0, count).Select(i =>
        {
            float[] v = Gaussian(random, dimensions, spread);
            TensorPrimitives.Add(v, centres[i % clusters], v);
            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        }).ToArray();
    }

    public static int[] ExactTop(float[][] vectors, float[] query, int k) =>
        Enumerable.Range(0, vectors.Length).OrderByDescending(i => TensorPrimitives.CosineSimilarity(vectors[i], query)).Take(k).ToArray();

    private static float[] Gaussian(Random random, int dimensions, float sigma)
    {
        float[] v = new float[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            v[i] = sigma * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }
}
