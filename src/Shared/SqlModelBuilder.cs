using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Veil.Stores.Sql;

/// <summary>
/// Builds the record model (from MEVD attributes or a <see cref="VectorStoreCollectionDefinition"/>) for a SQL store
/// and rejects the key types, data types, distance functions and embedding-generation set-ups it cannot serve.
/// Shared (as linked source) by the SQL stores; the store's <see cref="SqlDialect"/> supplies its name, column types and vector checks.
/// </summary>
internal sealed class SqlModelBuilder : CollectionModelBuilder
{
    internal const string SupportedKeyTypes = "string, int, long, Guid";
    internal const string SupportedDataTypes =
        "string, int, long, float, double, bool, byte[], DateTimeOffset, Guid (and their nullable forms)";

    private static readonly CollectionModelBuildingOptions s_options = new()
    {
        SupportsMultipleVectors = true,
        RequiresAtLeastOneVector = false,
    };

    private readonly SqlDialect _dialect;

    public SqlModelBuilder(SqlDialect dialect)
        : base(s_options)
    {
        _dialect = dialect;
    }

    private string StoreName => _dialect.StoreName;

    /// <summary>Builds and checks the model of a record class.</summary>
    public CollectionModel BuildModel(Type recordType, Type keyType, VectorStoreCollectionDefinition? definition) =>
        CheckEmbeddingGeneration(Build(recordType, keyType, definition, definition?.EmbeddingGenerator));

    /// <summary>Builds and checks the model of a dynamic (dictionary) collection.</summary>
    public CollectionModel BuildDynamicModel(VectorStoreCollectionDefinition definition) =>
        CheckEmbeddingGeneration(BuildDynamic(definition, definition.EmbeddingGenerator));

    /// <inheritdoc />
    /// <remarks>Guid keys, as MEVD specifies: an upsert replaces <see cref="Guid.Empty"/> with a new Guid (client-side).</remarks>
    protected override bool SupportsKeyAutoGeneration(Type keyPropertyType) => keyPropertyType == typeof(Guid);

    /// <inheritdoc />
    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        var type = keyProperty.Type;
        if (type != typeof(string) && type != typeof(int) && type != typeof(long) && type != typeof(Guid))
        {
            throw new NotSupportedException(
                $"Key property '{keyProperty.ModelName}' has type {type.Name}; {StoreName} supports keys of type {SupportedKeyTypes}.");
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

            _dialect.ValidateVector(vector);
        }
    }

    /// <inheritdoc />
    protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = SupportedDataTypes;
        return _dialect.TryGetDataColumnType(type, out _);
    }

    /// <inheritdoc />
    protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
    {
        supportedTypes = VectorValues.SupportedVectorTypes;
        return VectorValues.IsNativeVectorType(type);
    }

    private CollectionModel CheckEmbeddingGeneration(CollectionModel model)
    {
        foreach (var vector in model.VectorProperties)
        {
            if (!VectorValues.IsNativeVectorType(vector.Type))
            {
                throw new NotSupportedException(
                    $"Vector property '{vector.ModelName}' has type {vector.Type.Name}, which needs embedding generation on upsert; " +
                    $"{StoreName} stores vectors as given ({VectorValues.SupportedVectorTypes}). Generate the embeddings before upserting.");
            }
        }

        return model;
    }
}
