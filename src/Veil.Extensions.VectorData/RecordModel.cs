using Microsoft.Extensions.AI;
using System.Reflection;
using Microsoft.Extensions.VectorData;
using Veil.Keys;

namespace Veil.Extensions.VectorData;

/// <summary>How a property's value is held: a string (base64 of the bytes) or the bytes themselves.</summary>
internal enum BytesShape
{
    Base64String,
    ByteArray,
}

/// <summary>How a vector property's value is held.</summary>
internal enum VectorShape
{
    FloatArray,
    ReadOnlyMemory,
    NullableReadOnlyMemory,
    Embedding,
}

/// <summary>A property that holds bytes, as a byte[] or a base64 string.</summary>
internal sealed class BytesProperty
{
    public BytesProperty(PropertyInfo property)
    {
        Property = property;
        Shape = property.PropertyType == typeof(string) ? BytesShape.Base64String
            : property.PropertyType == typeof(byte[]) ? BytesShape.ByteArray
            : throw new NotSupportedException(
                $"Property '{property.Name}' of '{property.DeclaringType?.Name}' is of type '{property.PropertyType.Name}'; encrypted and companion properties must be string or byte[].");
    }

    public PropertyInfo Property { get; }

    public BytesShape Shape { get; }

    public string Name => Property.Name;

    /// <summary>Whether the property holds a value (plaintext or stored bytes alike).</summary>
    public bool HasValue(object record) => Property.GetValue(record) is not null;

    /// <summary>The stored bytes, or null. A string that is not base64 throws <see cref="FormatException"/>.</summary>
    public byte[]? GetBytes(object record) => Property.GetValue(record) switch
    {
        null => null,
        string text => Convert.FromBase64String(text),
        byte[] bytes => bytes,
        _ => null,
    };

    public void SetBytes(object record, byte[]? bytes) =>
        Property.SetValue(record, bytes is null ? null : Shape == BytesShape.Base64String ? Convert.ToBase64String(bytes) : bytes);

    /// <summary>The plaintext value's bytes (UTF-8 for strings), or null.</summary>
    public byte[]? GetPlaintext(object record) => Property.GetValue(record) switch
    {
        null => null,
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        byte[] bytes => bytes,
        _ => null,
    };

    public void SetPlaintext(object record, byte[]? plaintext) =>
        Property.SetValue(record, plaintext is null ? null : Shape == BytesShape.Base64String ? System.Text.Encoding.UTF8.GetString(plaintext) : plaintext);

    /// <summary>A plaintext filter value as bytes.</summary>
    public byte[] PlaintextToBytes(object value) => value switch
    {
        string text => System.Text.Encoding.UTF8.GetBytes(text),
        byte[] bytes => bytes,
        _ => throw new NotSupportedException($"A filter compares property '{Name}' with a value of type '{value.GetType().Name}'."),
    };

    /// <summary>Stored bytes as the constant a filter compares the property with.</summary>
    public object BytesToStored(byte[] bytes) => Shape == BytesShape.Base64String ? Convert.ToBase64String(bytes) : bytes;
}

/// <summary>A deterministically encrypted property with its key selection.</summary>
internal sealed class DeterministicProperty(PropertyInfo property, SecretPath secretPath, DerivationPath derivationPath)
{
    public BytesProperty Value { get; } = new(property);

    public SecretPath SecretPath { get; } = secretPath;

    public DerivationPath DerivationPath { get; } = derivationPath;
}

/// <summary>A vector property, its distance function and the companion that stores its paired ICL info.</summary>
internal sealed class VectorPropertyModel
{
    public VectorPropertyModel(PropertyInfo property, int dimensions, string? distanceFunction, BytesProperty? companion)
    {
        Property = property;
        Dimensions = dimensions;
        DistanceFunction = distanceFunction ?? Microsoft.Extensions.VectorData.DistanceFunction.CosineSimilarity;
        Companion = companion;
        Shape = property.PropertyType == typeof(float[]) ? VectorShape.FloatArray
            : property.PropertyType == typeof(ReadOnlyMemory<float>) ? VectorShape.ReadOnlyMemory
            : property.PropertyType == typeof(ReadOnlyMemory<float>?) ? VectorShape.NullableReadOnlyMemory
            : property.PropertyType == typeof(Embedding<float>) ? VectorShape.Embedding
            : throw new NotSupportedException(
                $"Vector property '{property.Name}' is of type '{property.PropertyType.Name}'; encrypted vector properties must be float[], ReadOnlyMemory<float> or Embedding<float>.");
    }

    public PropertyInfo Property { get; }

    public string Name => Property.Name;

    public int Dimensions { get; }

    public string DistanceFunction { get; }

    public BytesProperty? Companion { get; }

    public VectorShape Shape { get; }

    /// <summary>The plaintext vector of <paramref name="record"/>, or null when it has none.</summary>
    /// <exception cref="ArgumentException">The property holds an embedding an encrypting generator made (already encrypted).</exception>
    public ReadOnlyMemory<float>? GetVector(object record) => Property.GetValue(record) switch
    {
        null => null,
        float[] array => array,
        ReadOnlyMemory<float> memory => memory,
        Embedding<float> embedding => EncryptedEmbeddings.Plaintext(embedding, Name),
        _ => null,
    };

    public void SetVector(object record, float[]? vector)
    {
        object? value;
        if (Shape == VectorShape.FloatArray)
        {
            value = vector;
        }
        else if (Shape == VectorShape.Embedding)
        {
            value = vector is null ? null : new Embedding<float>(vector);
        }
        else if (vector is null)
        {
            value = Shape == VectorShape.ReadOnlyMemory ? (object)ReadOnlyMemory<float>.Empty : null;
        }
        else
        {
            value = new ReadOnlyMemory<float>(vector);
        }

        Property.SetValue(record, value);
    }

    /// <summary>Sets the vector to <paramref name="vector"/>: the memory itself, or a copy when the property is a float[].</summary>
    public void SetVector(object record, ReadOnlyMemory<float> vector) =>
        Property.SetValue(record, Shape switch
        {
            VectorShape.FloatArray => vector.ToArray(),
            VectorShape.Embedding => new Embedding<float>(vector),
            _ => (object)vector,
        });
}

/// <summary>
/// What the decorator knows about a record type: its key, vector properties (with companions), and protected data
/// properties, from the attributes, the options and an optional collection definition.
/// </summary>
internal sealed class RecordModel<TRecord>
{
    private readonly PropertyInfo[] _copyable;

    public RecordModel(EncryptingCollectionOptions options, VectorStoreCollectionDefinition? definition)
    {
        Type type = typeof(TRecord);
        if (type == typeof(Dictionary<string, object?>))
        {
            throw new NotSupportedException("Dynamic (dictionary) records are not supported by the encrypting collection; use a record class.");
        }

        if (type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new NotSupportedException($"Record type '{type.Name}' needs a public parameterless constructor so that the encrypting collection can copy records.");
        }

        PropertyInfo[] properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        _copyable = Array.FindAll(properties, p => p.CanRead && p.CanWrite && p.GetIndexParameters().Length == 0);
        PropertyInfo Find(string name) =>
            Array.Find(properties, p => p.Name == name)
            ?? throw new ArgumentException($"Record type '{type.Name}' has no public property '{name}'.", nameof(options));

        // Key.
        string? keyName = definition?.Properties.OfType<VectorStoreKeyProperty>().FirstOrDefault()?.Name
            ?? Array.Find(properties, p => p.GetCustomAttribute<VectorStoreKeyAttribute>() is not null)?.Name;
        Key = keyName is null
            ? throw new NotSupportedException($"Record type '{type.Name}' has no key property ([VectorStoreKey]).")
            : Find(keyName);

        // Companions.
        var companions = new Dictionary<string, string>(options.PairedIclInfoProperties, StringComparer.Ordinal);
        foreach (PropertyInfo property in properties)
        {
            if (property.GetCustomAttribute<PairedIclInfoAttribute>() is { } paired)
            {
                companions[paired.VectorPropertyName] = property.Name;
            }
        }

        // Vectors.
        var vectors = new List<VectorPropertyModel>();
        var vectorSpecs = new List<(string Name, int Dimensions, string? Distance)>();
        if (definition is not null)
        {
            vectorSpecs.AddRange(definition.Properties.OfType<VectorStoreVectorProperty>().Select(p => (p.Name, p.Dimensions, p.DistanceFunction)));
        }
        else
        {
            foreach (PropertyInfo property in properties)
            {
                if (property.GetCustomAttribute<VectorStoreVectorAttribute>() is { } attribute)
                {
                    vectorSpecs.Add((property.Name, attribute.Dimensions, attribute.DistanceFunction));
                }
            }
        }

        foreach ((string name, int dimensions, string? distance) in vectorSpecs)
        {
            BytesProperty? companion = companions.TryGetValue(name, out string? companionName) ? new BytesProperty(Find(companionName)) : null;
            if (companion is null && !options.OneWay)
            {
                throw new ArgumentException(
                    $"Vector property '{name}' of '{type.Name}' has no paired ICL info property: add a string or byte[] data property marked [PairedIclInfo(nameof({name}))], or use one-way mode.",
                    nameof(options));
            }

            vectors.Add(new VectorPropertyModel(Find(name), dimensions, distance, companion));
        }

        if (vectors.Count == 0)
        {
            throw new NotSupportedException($"Record type '{type.Name}' has no vector property ([VectorStoreVector]).");
        }

        Vectors = vectors;

        // Deterministic and standard data properties.
        var deterministic = new List<DeterministicProperty>();
        var standard = new List<BytesProperty>();
        foreach (PropertyInfo property in properties)
        {
            EncryptDeterministicallyAttribute? det = property.GetCustomAttribute<EncryptDeterministicallyAttribute>();
            if (det is null && options.DeterministicProperties.Contains(property.Name))
            {
                det = new EncryptDeterministicallyAttribute();
            }

            bool isStandard = property.GetCustomAttribute<EncryptStandardAttribute>() is not null || options.StandardProperties.Contains(property.Name);
            if (det is not null && isStandard)
            {
                throw new ArgumentException($"Property '{property.Name}' is marked for both deterministic and standard encryption.", nameof(options));
            }

            if (property.Name == options.TenantProperty)
            {
                if (det is not null || isStandard || property.PropertyType != typeof(string))
                {
                    throw new ArgumentException(
                        $"The tenant property '{property.Name}' must be a string data property without an encryption attribute: the collection fills and encrypts it.", nameof(options));
                }

                Tenant = new DeterministicProperty(
                    property,
                    options.DeterministicSecretPath ?? throw new ArgumentException("A tenant property needs the options' DeterministicSecretPath: the tenant id is stored encrypted deterministically.", nameof(options)),
                    new DerivationPath(TenantDerivationPath));
                deterministic.Add(Tenant);
            }
            else if (det is not null)
            {
                SecretPath secretPath = det.SecretPath is { } path ? new SecretPath(path)
                    : options.DeterministicSecretPath ?? throw new ArgumentException(
                        $"Property '{property.Name}' is encrypted deterministically but names no secret path, and the options have no DeterministicSecretPath.",
                        nameof(options));
                deterministic.Add(new DeterministicProperty(property, secretPath, new DerivationPath(det.DerivationPath ?? property.Name)));
            }
            else if (isStandard)
            {
                standard.Add(new BytesProperty(property));
            }
        }

        foreach (string name in options.DeterministicProperties.Concat(options.StandardProperties))
        {
            _ = Find(name);
        }

        if (options.TenantProperty is { } tenantProperty && Tenant is null)
        {
            _ = Find(tenantProperty);
        }

        if (deterministic.Any(p => p.Value.Property == Key) || standard.Any(p => p.Property == Key))
        {
            throw new NotSupportedException("The key property cannot be encrypted.");
        }

        Deterministic = deterministic;
        Standard = standard;
    }

    /// <summary>The derivation path of the tenant property's deterministic encryption.</summary>
    public const string TenantDerivationPath = "veil.tenant";

    public PropertyInfo Key { get; }

    /// <summary>The property that records each row's tenant (encrypted deterministically), or null for a collection of one tenant.</summary>
    public DeterministicProperty? Tenant { get; }

    public IReadOnlyList<VectorPropertyModel> Vectors { get; }

    public IReadOnlyList<DeterministicProperty> Deterministic { get; }

    public IReadOnlyList<BytesProperty> Standard { get; }

    /// <summary>A shallow copy of every public read/write property.</summary>
    public TRecord Clone(TRecord record)
    {
        TRecord copy = Activator.CreateInstance<TRecord>();
        foreach (PropertyInfo property in _copyable)
        {
            property.SetValue(copy, property.GetValue(record));
        }

        return copy;
    }

    public object? GetKey(TRecord record) => Key.GetValue(record);

    /// <summary>The vector property a search uses: the one the selector names, or the only one.</summary>
    public VectorPropertyModel ResolveVector(System.Linq.Expressions.Expression<Func<TRecord, object?>>? selector)
    {
        if (selector is null)
        {
            return Vectors.Count == 1
                ? Vectors[0]
                : throw new InvalidOperationException("The record has several vector properties; set VectorSearchOptions.VectorProperty.");
        }

        System.Linq.Expressions.Expression body = selector.Body;
        while (body is System.Linq.Expressions.UnaryExpression { NodeType: System.Linq.Expressions.ExpressionType.Convert } convert)
        {
            body = convert.Operand;
        }

        string? name = (body as System.Linq.Expressions.MemberExpression)?.Member.Name;
        return Vectors.FirstOrDefault(v => v.Name == name)
            ?? throw new InvalidOperationException("VectorSearchOptions.VectorProperty does not name a vector property of the record.");
    }
}
