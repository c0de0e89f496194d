using System.Security.Cryptography;

namespace Veil.Extensions.VectorData;

/// <summary>The decorator's errors about a record: they name it by key and properties by name, never a value.</summary>
internal sealed class RecordErrors<TRecord>(EncryptedRecordModel<TRecord> model)
    where TRecord : class
{
    public string DescribeKey(TRecord record) => Convert.ToString(model.GetKey(record), System.Globalization.CultureInfo.InvariantCulture) ?? "(null)";

    public CryptographicException DecryptionFailed(TRecord record, string property, Exception inner, Keys.KeyId? keyId = null) => new(
        $"The record with key '{DescribeKey(record)}' failed to decrypt in property '{property}'" +
        (keyId is { } id ? $" (encrypted with secret key id {id})" : string.Empty) +
        ": it was altered, belongs to another tenant, or was encrypted with a key that is not configured.",
        inner);
}
