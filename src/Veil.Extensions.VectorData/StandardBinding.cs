using Veil.Documents;

namespace Veil.Extensions.VectorData;

/// <summary>
/// Veil's opt-in binding of a record's standard properties (<see cref="EncryptingCollectionOptions.BindStandardProperties"/>):
/// each one to the record's key as the document id, its own name and the names of the standard properties that hold a value.
/// </summary>
internal sealed class StandardBinding<TRecord>(EncryptedRecordModel<TRecord> model, bool enabled)
    where TRecord : class
{
    /// <summary>Whether standard properties are bound.</summary>
    public bool Enabled { get; } = enabled && model.Standard.Count > 0;

    /// <summary>Whether a key is one the store may replace with a generated one (none yet).</summary>
    public static bool IsKeyless(object? key) => key is null or "" or 0 or 0L || Guid.Empty.Equals(key);

    /// <summary>
    /// The bindings, per standard property (in model order) then per record: null for a record whose property holds no
    /// value; null as a whole when binding is off.
    /// </summary>
    /// <exception cref="ArgumentException">A record with a standard value has no key yet.</exception>
    public FieldBinding?[][]? ForRecords(IReadOnlyList<TRecord> records)
    {
        if (!Enabled)
        {
            return null;
        }

        var bindings = new FieldBinding?[model.Standard.Count][];
        for (int p = 0; p < bindings.Length; p++)
        {
            bindings[p] = new FieldBinding?[records.Count];
        }

        for (int i = 0; i < records.Count; i++)
        {
            string[] names = model.Standard.Where(p => p.HasValue(records[i]!)).Select(p => p.Name).ToArray();
            if (names.Length == 0)
            {
                continue;
            }

            DocumentBinding document = DocumentBinding.ForId(Id(model.GetKey(records[i])));
            for (int p = 0; p < bindings.Length; p++)
            {
                if (model.Standard[p].HasValue(records[i]!))
                {
                    bindings[p][i] = new FieldBinding(document, model.Standard[p].Name, names);
                }
            }
        }

        return bindings;
    }

    /// <summary>The key's invariant text (a Guid in its "D" form).</summary>
    private static string Id(object? key)
    {
        if (IsKeyless(key))
        {
            throw new ArgumentException(
                "With BindStandardProperties every record with a standard-encrypted value needs its key before upsert: a key the store generates cannot be bound.");
        }

        return key switch
        {
            string text => text,
            Guid guid => guid.ToString("D"),
            IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => key!.ToString() ?? string.Empty,
        };
    }
}
