using System.Diagnostics;

namespace Veil.Documents;

/// <summary>
/// Veil's opt-in binding of one attached document to its place in a larger record: the record's id, the name of the
/// field the attached document holds, and the names of every field of that record stored as attached documents. With
/// it, moving the attached document to another field or record, or dropping or adding a sibling, is refused on decrypt.
/// </summary>
/// <remarks>
/// The same trade-off as <see cref="DocumentBinding"/>: not readable by Alloy, the same id, field name and field names
/// are needed to decrypt, and a whole record replaced by an older version of itself is not detected. The associated
/// data is the one of <see cref="DocumentBinding"/> with its own kind byte (docs/formats.md), so a field of a bound
/// standard document never decrypts as a bound attached document, nor the reverse.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class FieldBinding
{
    /// <summary>Binds an attached document to <paramref name="fieldName"/> of the record <paramref name="document"/>.</summary>
    /// <param name="document">The id of the record the attached document belongs to.</param>
    /// <param name="fieldName">The name of the field the attached document holds.</param>
    /// <param name="fieldNames">The names of every field of the record stored as an attached document, this one
    /// included (in any order; compared ordinally).</param>
    /// <exception cref="ArgumentNullException">An argument or a name is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="fieldNames"/> holds a name twice or does not hold
    /// <paramref name="fieldName"/>, or a name is not valid UTF-16.</exception>
    public FieldBinding(DocumentBinding document, string fieldName, IEnumerable<string> fieldNames)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(fieldName);
        ArgumentNullException.ThrowIfNull(fieldNames);
        string[] names = fieldNames.ToArray();
        if (Array.IndexOf(names, fieldName) < 0)
        {
            throw new ArgumentException("The field names of a binding must include the bound field's own name.", nameof(fieldNames));
        }

        var builder = new BindingAad(BindingAad.Kind.AttachedDocument, document, names);
        AssociatedData = builder.For(fieldName).ToArray();
        FieldCount = names.Length;
    }

    /// <summary>The number of fields the record is bound to.</summary>
    public int FieldCount { get; }

    /// <summary>The associated data every ciphertext under this binding authenticates.</summary>
    internal byte[] AssociatedData { get; }

    /// <summary>Says how many fields are bound, never the id or the names.</summary>
    public override string ToString() => $"FieldBinding (one of {FieldCount} fields)";
}
