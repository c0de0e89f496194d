using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Stores.Sql;

namespace Veil.Stores.DuckDb;

/// <summary>
/// Builds the record model (from MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>) and rejects
/// the types, distance functions and embedding-generation set-ups that the DuckDB store cannot serve.
/// </summary>
internal sealed class DuckDbModelBuilder : CollectionModelBuilder
{
    internal const string SupportedKeyTypes = "string, int, long, Guid";
    internal const string SupportedDataTypes =
        "string, int, long, float, double, bool, byte[], DateTimeOffset, Guid (and their nullable forms)";
    internal const string SupportedVectorTypes = VectorValues.SupportedVectorTypes;

    private static readonly CollectionModelBuildingOptions s_options = new()
    {
        SupportsMultipleVectors = true,
        RequiresAtLeastOneVector = false,
    };

    public DuckDbModelBuilder()
        : base(s_options)
    {
    }

    public static CollectionModel BuildModel(Type recordType, Type keyType, VectorStoreCollectionDefinition? definition)
    {
        var model = new DuckDbModelBuilder().Build(recordType, keyType, definition, definition?.EmbeddingGenerator);
        return CheckEmbeddingGeneration(model);
    }

    public static CollectionModel BuildDynamicModel(VectorStoreCollectionDefinition definition)
    {
        var model = new DuckDbModelBuilder().BuildDynamic(definition, definition.EmbeddingGenerator);
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
                $"Key property '{keyProperty.ModelName}' has type {type.Name}; the DuckDB store supports keys of type {SupportedKeyTypes}.");
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

            _ = DuckDbSql.DistanceFunctionOf(vector);
        }
    }

    /// <inheritdoc />
    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedDataTypes;
        return DuckDbSql.TryGetDataColumnType(type, out _);
    }

    /// <inheritdoc />
    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedVectorTypes;
        return IsNativeVectorType(type);
    }

    internal static bool IsNativeVectorType(Type type) => VectorValues.IsNativeVectorType(type);

    private static CollectionModel CheckEmbeddingGeneration(CollectionModel model)
    {
        foreach (var vector in model.VectorProperties)
        {
            if (!IsNativeVectorType(vector.Type))
            {
                throw new NotSupportedException(
                    $"Vector property '{vector.ModelName}' has type {vector.Type.Name}, which needs embedding generation on upsert; " +
                    $"the DuckDB store stores vectors as given ({SupportedVectorTypes}). Generate the embeddings before upserting.");
            }
        }

        return model;
    }
}
