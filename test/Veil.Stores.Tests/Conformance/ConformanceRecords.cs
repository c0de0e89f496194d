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
