namespace Veil.Kms.Pkcs11;

/// <summary>
/// Makes a PKCS#11 URI (RFC 7512) safe to echo in a message: the values of <c>pin-value</c> and <c>pin-source</c>
/// attributes, in the path or the query and however their names are cased or percent-encoded, become <c>***</c>.
/// Every message of this provider that quotes a URI quotes it through <see cref="Redact"/>.
/// </summary>
public static class Pkcs11UriRedaction
{
    private const string Hidden = "***";
    private static readonly char[] s_separators = [';', '?', '&'];

    /// <summary>The URI with the value of every PIN attribute replaced by <c>***</c> (null gives "(null)").</summary>
    /// <param name="keyUri">A URI as a user wrote it; it need not be valid.</param>
    public static string Redact(string? keyUri)
    {
        if (keyUri is null)
        {
            return "(null)";
        }

        // The scheme ("pkcs11:") is kept apart from the first attribute.
        int colon = keyUri.IndexOf(':', StringComparison.Ordinal);
        int separator = keyUri.IndexOfAny(s_separators);
        int start = colon >= 0 && (separator < 0 || colon < separator) && !MentionsPin(keyUri[..colon]) ? colon + 1 : 0;
        var output = new System.Text.StringBuilder(keyUri.Length).Append(keyUri, 0, start);
        while (start <= keyUri.Length)
        {
            int end = keyUri.IndexOfAny(s_separators, start);
            if (end < 0)
            {
                end = keyUri.Length;
            }

            output.Append(RedactAttribute(keyUri[start..end]));
            if (end < keyUri.Length)
            {
                output.Append(keyUri[end]);
            }

            start = end + 1;
        }

        return output.ToString();
    }

    /// <summary>One attribute (<c>name=value</c>, or anything between separators): its value is hidden when it names a PIN.</summary>
    internal static string RedactAttribute(string attribute)
    {
        if (!MentionsPin(attribute))
        {
            return attribute;
        }

        int equals = attribute.IndexOf('=', StringComparison.Ordinal);
        string name = equals < 0 ? attribute : attribute[..equals];
        return IsPinName(name) ? name + "=" + Hidden : Hidden;
    }

    private static bool MentionsPin(string text)
    {
        string unescaped = Unescape(text);
        return unescaped.Contains("pin-value", StringComparison.OrdinalIgnoreCase) || unescaped.Contains("pin-source", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsPinName(string name)
    {
        string unescaped = Unescape(name).Trim();
        return unescaped.Equals("pin-value", StringComparison.OrdinalIgnoreCase) || unescaped.Equals("pin-source", StringComparison.OrdinalIgnoreCase);
    }

    private static string Unescape(string text)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            return text;
        }
    }
}
