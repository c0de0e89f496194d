using System.Text;
using System.Text.Json;
using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// A keyset's public metadata as JSON: one object per secret (section, path, id, state, β, limits, creation time,
/// redacted KEK URI) and the <c>veil-keyset-public-info/1</c> document for audits. Never key material.
/// </summary>
public static class KeysetInfoJson
{
    /// <summary>The format name of <see cref="PublicInfo"/>.</summary>
    public const string PublicInfoFormat = "veil-keyset-public-info/1";

    /// <summary>One secret's metadata as a single-line JSON object.</summary>
    /// <param name="info">The secret's metadata.</param>
    /// <returns>The JSON.</returns>
    public static string Secret(KeysetSecretInfo info)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteSecret(writer, info);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes each secret's metadata as a single-line JSON object (<see cref="Secret"/>), one per line: JSON Lines.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="secrets">The secrets' metadata.</param>
    public static void WriteSecrets(TextWriter output, IEnumerable<KeysetSecretInfo> secrets)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(secrets);
        foreach (KeysetSecretInfo info in secrets)
        {
            output.WriteLine(Secret(info));
        }
    }

    /// <summary>The keyset's public metadata as one indented JSON document: format, keyset format, KEK URI and secrets.</summary>
    /// <param name="keyset">The keyset (read without the KMS, so not authenticated).</param>
    /// <returns>The JSON.</returns>
    public static string PublicInfo(Keyset keyset)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", PublicInfoFormat);
            writer.WriteString("keysetFormat", Keyset.FormatName);
            writer.WriteString("kekUri", KmsSelection.Display(keyset.KekUri));
            writer.WriteStartArray("secrets");
            foreach (KeysetSecretInfo info in keyset.List())
            {
                WriteSecret(writer, info);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes one secret's metadata as a JSON object.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="info">The secret's metadata.</param>
    public static void WriteSecret(Utf8JsonWriter writer, KeysetSecretInfo info)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(info);
        writer.WriteStartObject();
        writer.WriteString("section", KeysetNames.Of(info.Section));
        if (info.Section != KeysetSection.Standard)
        {
            writer.WriteString("path", info.Path.Value);
        }

        writer.WriteNumber("id", info.Id.Value);
        writer.WriteString("state", KeysetNames.Of(info.State));
        if (info.ApproximationFactor is { } beta)
        {
            writer.WriteNumber("approximationFactor", beta);
        }

        if (info.UseScalingFactor is { } scaling)
        {
            writer.WriteBoolean("useScalingFactor", scaling);
        }

        if (info.Dimensions is { } dimensions)
        {
            writer.WriteNumber("dimensions", dimensions);
        }

        if (info.MaxNorm is { } maxNorm)
        {
            writer.WriteNumber("maxNorm", maxNorm);
        }

        if (info.KeyTransform is { } transform and not VectorKeyTransform.AlloyPermutation)
        {
            writer.WriteString("keyTransform", KeysetNames.Of(transform));
        }

        writer.WriteString("createdAt", KeysetNames.Time(info.CreatedAt));
        writer.WriteString("kekUri", KmsSelection.Display(info.KekUri));
        writer.WriteEndObject();
    }
}
