namespace Veil.Kms.Pkcs11;

/// <summary>
/// A PKCS#11 URI (RFC 7512) naming a secret key by token label and object label:
/// <c>pkcs11:token=&lt;token label&gt;;object=&lt;key label&gt;</c> (values percent-encoded; <c>type=secret-key</c> allowed).
/// </summary>
internal readonly record struct Pkcs11KeyUri(string Token, string Object)
{
    public const string Scheme = "pkcs11:";

    public static Pkcs11KeyUri Parse(string keyUri)
    {
        if (keyUri is null || !keyUri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{Pkcs11UriRedaction.Redact(keyUri)}' is not a PKCS#11 URI (pkcs11:token=…;object=…).", nameof(keyUri));
        }

        string? token = null;
        string? label = null;
        string path = keyUri[Scheme.Length..];
        if (path.Contains('?', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{Pkcs11UriRedaction.Redact(keyUri)}': query attributes (such as pin-value) are not accepted; the PIN comes from the options.", nameof(keyUri));
        }

        foreach (string part in path.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"'{Pkcs11UriRedaction.Redact(keyUri)}': '{Pkcs11UriRedaction.RedactAttribute(part)}' is not an attribute=value pair.", nameof(keyUri));
            }

            string name = part[..equals];
            string value = Uri.UnescapeDataString(part[(equals + 1)..]);
            switch (name)
            {
                case "token":
                    token = value;
                    break;
                case "object":
                    label = value;
                    break;
                case "type" when value == "secret-key":
                    break;
                default:
                    throw new ArgumentException($"'{Pkcs11UriRedaction.Redact(keyUri)}': attribute '{Pkcs11UriRedaction.RedactAttribute(name)}' is not supported (use token, object and type=secret-key).", nameof(keyUri));
            }
        }

        if (string.IsNullOrEmpty(token) || string.IsNullOrEmpty(label))
        {
            throw new ArgumentException($"'{Pkcs11UriRedaction.Redact(keyUri)}' must name both the token and the object (pkcs11:token=…;object=…).", nameof(keyUri));
        }

        return new Pkcs11KeyUri(token, label);
    }
}
