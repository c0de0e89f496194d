using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;

namespace Veil.Stores.Tests.Conformance;

/// <summary>A record with one property of every supported data type, a 4-d vector and an int key.</summary>
public sealed class ConformanceRecord
{
    [VectorStoreKey]
    public int Key { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string? Name { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int Rating { get; set; }

    [VectorStoreData]
    public long Count { get; set; }

    [VectorStoreData]
    public float Price { get; set; }

    [VectorStoreData]
    public double Weight { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public bool IsActive { get; set; }

    [VectorStoreData]
    public byte[]? Payload { get; set; }

    [VectorStoreData]
    public DateTimeOffset? Created { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int? Optional { get; set; }

    [VectorStoreVector(4, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public ReadOnlyMemory<float> Embedding { get; set; }

    /// <summary>The paired ICL info of <see cref="Embedding"/> when the encrypting decorator stores the record (else null).</summary>
    [VectorStoreData]
    [PairedIclInfo(nameof(Embedding))]
    public string? EmbeddingInfo { get; set; }
}

/// <summary>A minimal record for key-type tests: the key type is the type parameter.</summary>
public sealed class KeyedRecord<TKey>
{
    [VectorStoreKey]
    public TKey Key { get; set; } = default!;

    [VectorStoreData]
    public string? Text { get; set; }

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public float[]? Vector { get; set; }

    /// <summary>The paired ICL info of <see cref="Vector"/> when the encrypting decorator stores the record (else null).</summary>
    [VectorStoreData]
    [PairedIclInfo(nameof(Vector))]
    public byte[]? VectorInfo { get; set; }
}

/// <summary>A record whose vector's distance function comes from a <see cref="VectorStoreCollectionDefinition"/>.</summary>
public sealed class DistanceRecord
{
    public int Key { get; set; }

    public Embedding<float>? Vector { get; set; }

    public static VectorStoreCollectionDefinition Definition(string distanceFunction) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty(nameof(Key), typeof(int)),
            new VectorStoreVectorProperty(nameof(Vector), typeof(Embedding<float>), 4) { DistanceFunction = distanceFunction },
        ],
    };
}

/// <summary>A record with two vector properties (and their companions for the encrypting decorator).</summary>
public sealed class TwoVectorRecord
{
    [VectorStoreKey]
    public int Key { get; set; }

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public float[]? First { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(First))]
    public string? FirstInfo { get; set; }

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public float[]? Second { get; set; }

    [VectorStoreData]
    [PairedIclInfo(nameof(Second))]
    public string? SecondInfo { get; set; }
}

/// <summary>A record without a vector property.</summary>
public sealed class NoVectorRecord
{
    [VectorStoreKey]
    public int Key { get; set; }

    [VectorStoreData]
    public string? Text { get; set; }
}

/// <summary>The definitions of the dynamic (dictionary) records the conformance facts use.</summary>
public static class DynamicRecords
{
    /// <summary>Key, a nullable string, a bool, a nullable int, a 4-d vector and its companion.</summary>
    public static VectorStoreCollectionDefinition Definition() => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty("Key", typeof(int)),
            new VectorStoreDataProperty("Name", typeof(string)) { IsIndexed = true },
            new VectorStoreDataProperty("Flag", typeof(bool)) { IsIndexed = true },
            new VectorStoreDataProperty("Optional", typeof(int?)),
            new VectorStoreDataProperty("EmbeddingInfo", typeof(string)),
            new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 4) { DistanceFunction = DistanceFunction.EuclideanDistance },
        ],
    };

    /// <summary>Key, text, and a 4-d vector embedded from text by <paramref name="generator"/>, with its companion.</summary>
    public static VectorStoreCollectionDefinition GeneratedDefinition(IEmbeddingGenerator<string, Embedding<float>> generator) => new()
    {
        Properties =
        [
            new VectorStoreKeyProperty("Key", typeof(int)),
            new VectorStoreDataProperty("EmbeddingInfo", typeof(string)),
            new VectorStoreVectorProperty("Embedding", typeof(string), 4) { DistanceFunction = DistanceFunction.EuclideanDistance, EmbeddingGenerator = generator },
        ],
    };

    public static Dictionary<string, object?> Record(int key, string? name, bool flag, int? optional, float[] embedding) => new()
    {
        ["Key"] = key,
        ["Name"] = name,
        ["Flag"] = flag,
        ["Optional"] = optional,
        ["Embedding"] = new ReadOnlyMemory<float>(embedding),
    };
}

/// <summary>Embeds four words as the four axes of a 4-d space; counts the texts it was given.</summary>
public sealed class AxisWordGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public static readonly string[] Words = ["north", "east", "south", "west"];

    public int Embedded { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var embeddings = new GeneratedEmbeddings<Embedding<float>>();
        foreach (string value in values)
        {
            Embedded++;
            float[] vector = new float[4];
            vector[Array.IndexOf(Words, value)] = 1;
            embeddings.Add(new Embedding<float>(vector));
        }

        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
