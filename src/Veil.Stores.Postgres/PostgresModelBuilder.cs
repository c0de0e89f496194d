using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.Postgres;

/// <summary>
/// Builds the record model (from MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>) and rejects
/// the types, distance functions, index kinds and embedding-generation set-ups that the PostgreSQL store cannot serve.
/// </summary>
internal sealed class PostgresModelBuilder : CollectionModelBuilder
{
    internal const string SupportedKeyTypes = "string, int, long, Guid";
    internal const string SupportedDataTypes =
        "string, int, long, float, double, bool, byte[], DateTimeOffset, Guid (and their nullable forms)";

    private static readonly CollectionModelBuildingOptions s_options = new()
    {
        SupportsMultipleVectors = true,
        RequiresAtLeastOneVector = false,
    };

    public PostgresModelBuilder()
        : base(s_options)
    {
    }

    public static CollectionModel BuildModel(Type recordType, Type keyType, VectorStoreCollectionDefinition? definition)
    {
        var model = new PostgresModelBuilder().Build(recordType, keyType, definition, definition?.EmbeddingGenerator);
        return CheckEmbeddingGeneration(model);
    }

    public static CollectionModel BuildDynamicModel(VectorStoreCollectionDefinition definition)
    {
        var model = new PostgresModelBuilder().BuildDynamic(definition, definition.EmbeddingGenerator);
        return CheckEmbeddingGeneration(model);
    }

    /// <inheritdoc />
    protected override bool SupportsKeyAutoGeneration(Type keyPropertyType) => false;

    /// <inheritdoc />
    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        var type = keyProperty.Type;
        if (type != typeof(string) && type != typeof(int) && type != typeof(long) && type != typeof(Guid))
        {
            throw new NotSupportedException(
                $"Key property '{keyProperty.ModelName}' has type {type.Name}; the PostgreSQL store supports keys of type {SupportedKeyTypes}.");
        }
    }

    /// <inheritdoc />
    protected override void ValidateProperty(PropertyModel propertyModel, VectorStoreCollectionDefinition? definition)
    {
        base.ValidateProperty(propertyModel, definition);
        if (propertyModel is VectorPropertyModel vector)
        {
            if (vector.Dimensions <= 0)
            {
                throw new InvalidOperationException(
                    $"Vector property '{vector.ModelName}' must have a positive number of dimensions.");
            }

            _ = PostgresSql.DistanceFunctionOf(vector);
            if (PostgresSql.HasHnswIndex(vector) && vector.Dimensions > PostgresCollectionOptions.MaxHnswDimensions)
            {
                throw new NotSupportedException(
                    $"Vector property '{vector.ModelName}' has {vector.Dimensions} dimensions; pgvector's HNSW index on vector columns " +
                    $"supports at most {PostgresCollectionOptions.MaxHnswDimensions}. Use IndexKind.Flat for exact search.");
            }
        }
    }

    /// <inheritdoc />
    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedDataTypes;
        return PostgresSql.TryGetDataColumnType(type, out _);
    }

    /// <inheritdoc />
    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = VectorValues.SupportedVectorTypes;
        return VectorValues.IsNativeVectorType(type);
    }

    private static CollectionModel CheckEmbeddingGeneration(CollectionModel model)
    {
        foreach (var vector in model.VectorProperties)
        {
            if (!VectorValues.IsNativeVectorType(vector.Type))
            {
                throw new NotSupportedException(
                    $"Vector property '{vector.ModelName}' has type {vector.Type.Name}, which needs embedding generation on upsert; " +
                    $"the PostgreSQL store stores vectors as given ({VectorValues.SupportedVectorTypes}). Generate the embeddings before upserting.");
            }
        }

        return model;
    }
}
