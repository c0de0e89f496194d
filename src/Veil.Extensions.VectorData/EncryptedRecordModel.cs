using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using Veil.Keys;

namespace Veil.Extensions.VectorData;

/// <summary>
/// What the decorator knows about a record type: MEVD's own <see cref="CollectionModel"/> (from attributes or a
/// <see cref="VectorStoreCollectionDefinition"/>, record classes and dynamic dictionaries alike) and, on top of it,
/// which properties are encrypted how, from Veil's attributes and the options.
/// </summary>
internal sealed class EncryptedRecordModel<TRecord>
    where TRecord : class
{
    /// <summary>The derivation path of the tenant property's deterministic encryption.</summary>
    public const string TenantDerivationPath = "veil.tenant";

    /// <summary>The compiled shallow copy of a record class (null for dynamic records).</summary>
    private readonly Func<TRecord, TRecord>? _copy;

    /// <summary>Every property's accessor, when the record is copied property by property (no compiled copy).</summary>
    private readonly PropertyAccessor[] _accessors;

    /// <exception cref="ArgumentException">The options do not fit the record (see the collection's constructor).</exception>
    /// <exception cref="NotSupportedException">The record type cannot be encrypted.</exception>
    public EncryptedRecordModel(Type keyType, EncryptingCollectionOptions options, VectorStoreCollectionDefinition? definition)
    {
        IsDynamic = typeof(TRecord) == typeof(Dictionary<string, object?>);
        IEmbeddingGenerator? generator = definition?.EmbeddingGenerator ?? options.EmbeddingGenerator;
        if (IsDynamic)
        {
            Model = new Builder().BuildDynamic(
                definition ?? throw new ArgumentException("A dynamic (dictionary) collection needs a VectorStoreCollectionDefinition.", nameof(definition)),
                generator);
        }
        else
        {
            if (typeof(TRecord).GetConstructor(Type.EmptyTypes) is null)
            {
                throw new NotSupportedException($"Record type '{typeof(TRecord).Name}' needs a public parameterless constructor so that the encrypting collection can copy records.");
            }

            Model = new Builder().Build(typeof(TRecord), keyType, definition, generator);
        }

        string typeName = IsDynamic ? "the dynamic record" : $"'{typeof(TRecord).Name}'";
        PropertyModel Find(string name) =>
            Model.PropertyMap.TryGetValue(name, out PropertyModel? property) && property is DataPropertyModel or KeyPropertyModel
                ? property
                : throw new ArgumentException($"{typeName} has no data property '{name}' (a property the store keeps: [VectorStoreData] or in the definition).", nameof(options));

        var companions = new Dictionary<string, string>(options.PairedIclInfoProperties, StringComparer.Ordinal);
        foreach (PropertyModel property in Model.DataProperties)
        {
            if (Attribute<PairedIclInfoAttribute>(property) is { } paired)
            {
                companions[paired.VectorPropertyName] = property.ModelName;
            }
        }

        var vectors = new List<VectorField>();
        foreach (VectorPropertyModel vector in Model.VectorProperties)
        {
            BytesField? companion = companions.TryGetValue(vector.ModelName, out string? companionName) ? new BytesField(Find(companionName)) : null;
            if (companion is null && !options.OneWay && options.EncryptsVectors)
            {
                throw new ArgumentException(
                    $"Vector property '{vector.ModelName}' of {typeName} has no paired ICL info property: add a string or byte[] data property marked [PairedIclInfo(nameof({vector.ModelName}))] " +
                    "(or name it in EncryptingCollectionOptions.PairedIclInfoProperties), or use one-way mode.",
                    nameof(options));
            }

            vectors.Add(new VectorField(vector, ClrProperty(vector)?.PropertyType ?? vector.Type, companion, IsDynamic));
        }

        // Fields-only options encrypt no vector: the vectors are only checked to be unset (see UnencryptedVectors).
        Vectors = options.EncryptsVectors ? vectors : [];
        UnencryptedVectors = options.EncryptsVectors ? [] : vectors;
        (Deterministic, Standard, Tenant) = ReadDataProperties(options, typeName, Find);
        KeyAccess = new PropertyAccessor(Model.KeyProperty);
        _copy = IsDynamic ? null : PropertyAccessor.CompileCopy<TRecord>(Model.Properties);
        _accessors = _copy is null ? [.. Model.Properties.Select(p => new PropertyAccessor(p))] : [];
    }

    /// <summary>MEVD's model of the record: key, data and vector properties with their accessors.</summary>
    public CollectionModel Model { get; }

    /// <summary>Whether records are dictionaries.</summary>
    public bool IsDynamic { get; }

    /// <summary>The key property.</summary>
    public KeyPropertyModel Key => Model.KeyProperty;

    /// <summary>Reads and writes the key property.</summary>
    public PropertyAccessor KeyAccess { get; }

    /// <summary>
    /// Whether an upsert may give a record a key it did not have: the decorator generates empty <see cref="Guid"/>
    /// keys, and a store may generate numeric ones; nothing generates string keys, so their records need no key copied back.
    /// </summary>
    public bool KeysMayBeGenerated => Key.Type != typeof(string);

    /// <summary>The property that records each row's tenant (encrypted deterministically), or null for a collection of one tenant.</summary>
    public DeterministicField? Tenant { get; }

    /// <summary>The vector properties encrypted with the vector secret (none with fields-only options).</summary>
    public IReadOnlyList<VectorField> Vectors { get; }

    /// <summary>With fields-only options (<see cref="EncryptingCollectionOptions.FieldsOnly"/>), the vector properties, which must reach the collection unset.</summary>
    public IReadOnlyList<VectorField> UnencryptedVectors { get; }

    public IReadOnlyList<DeterministicField> Deterministic { get; }

    public IReadOnlyList<BytesField> Standard { get; }

    /// <summary>A shallow copy of every property of the model.</summary>
    public TRecord Clone(TRecord record)
    {
        if (IsDynamic)
        {
            return (TRecord)(object)new Dictionary<string, object?>((Dictionary<string, object?>)(object)record, StringComparer.Ordinal);
        }

        if (_copy is { } copy)
        {
            return copy(record);
        }

        TRecord clone = Model.CreateRecord<TRecord>();
        foreach (PropertyAccessor property in _accessors)
        {
            property.Set(clone, property.Get(record));
        }

        return clone;
    }

    public object? GetKey(TRecord record) => KeyAccess.Get(record);

    /// <summary>The vector property a search uses: the one the options name, or the only one (MEVD's messages otherwise).</summary>
    /// <exception cref="InvalidOperationException">No such vector property, or several and none named.</exception>
    /// <exception cref="NotSupportedException">The options encrypt fields only.</exception>
    public VectorField ResolveVector(VectorSearchOptions<TRecord> options)
    {
        if (UnencryptedVectors.Count > 0)
        {
            throw new NotSupportedException("This collection encrypts fields only (EncryptingCollectionOptions.FieldsOnly) and stores no vector to search: search through the decorator that protects the vectors.");
        }

        VectorPropertyModel property = Model.GetVectorPropertyOrSingle(options);
        return Vectors.First(v => v.Property == property);
    }

    /// <summary>The record class's property of that name (null for dynamic records).</summary>
    public static PropertyInfo? ClrProperty(PropertyModel property) =>
        typeof(TRecord) == typeof(Dictionary<string, object?>) ? null : typeof(TRecord).GetProperty(property.ModelName, BindingFlags.Public | BindingFlags.Instance);

    private static T? Attribute<T>(PropertyModel property)
        where T : Attribute => ClrProperty(property)?.GetCustomAttribute<T>();

    private (List<DeterministicField>, List<BytesField>, DeterministicField?) ReadDataProperties(
        EncryptingCollectionOptions options, string typeName, Func<string, PropertyModel> find)
    {
        foreach (string name in options.DeterministicProperties.Concat(options.StandardProperties))
        {
            _ = find(name);
        }

        var deterministic = new List<DeterministicField>();
        var standard = new List<BytesField>();
        DeterministicField? tenant = null;
        foreach (PropertyModel property in Model.DataProperties)
        {
            EncryptDeterministicallyAttribute? det = Attribute<EncryptDeterministicallyAttribute>(property);
            if (det is null && options.DeterministicProperties.Contains(property.ModelName))
            {
                det = new EncryptDeterministicallyAttribute();
            }

            bool isStandard = Attribute<EncryptStandardAttribute>(property) is not null || options.StandardProperties.Contains(property.ModelName);
            if (det is not null && isStandard)
            {
                throw new ArgumentException($"Property '{property.ModelName}' is marked for both deterministic and standard encryption.", nameof(options));
            }

            if (property.ModelName == options.TenantProperty)
            {
                if (det is not null || isStandard || property.Type != typeof(string))
                {
                    throw new ArgumentException(
                        $"The tenant property '{property.ModelName}' must be a string data property without an encryption attribute: the collection fills and encrypts it.", nameof(options));
                }

                tenant = new DeterministicField(
                    property,
                    options.DeterministicSecretPath ?? throw new ArgumentException("A tenant property needs the options' DeterministicSecretPath: the tenant id is stored encrypted deterministically.", nameof(options)),
                    new DerivationPath(TenantDerivationPath));
                deterministic.Add(tenant);
            }
            else if (det is not null)
            {
                SecretPath secretPath = det.SecretPath is { } path ? new SecretPath(path)
                    : options.DeterministicSecretPath ?? throw new ArgumentException(
                        $"Property '{property.ModelName}' is encrypted deterministically but names no secret path, and the options have no DeterministicSecretPath.",
                        nameof(options));
                deterministic.Add(new DeterministicField(property, secretPath, new DerivationPath(det.DerivationPath ?? property.ModelName)));
            }
            else if (isStandard)
            {
                standard.Add(new BytesField(property));
            }
        }

        if (options.TenantProperty is { } tenantProperty && tenant is null)
        {
            PropertyModel found = find(tenantProperty);
            throw new ArgumentException($"The tenant property '{found.ModelName}' of {typeName} must be a string data property.", nameof(options));
        }

        return (deterministic, standard, tenant);
    }

    /// <summary>MEVD's model builder, accepting what the decorator can encrypt and leaving data types to the inner store.</summary>
    private sealed class Builder() : CollectionModelBuilder(new CollectionModelBuildingOptions { SupportsMultipleVectors = true, RequiresAtLeastOneVector = false })
    {
        protected override bool IsDataPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
        {
            supportedTypes = null;
            return true;
        }

        protected override bool IsVectorPropertyTypeValid(Type type, [NotNullWhen(false)] out string? supportedTypes)
        {
            supportedTypes = VectorField.SupportedTypes;
            return VectorField.IsNative(type);
        }
    }
}
