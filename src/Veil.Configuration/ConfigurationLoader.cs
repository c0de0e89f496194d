using System.Text.Json;
using Veil.Keys;

namespace Veil.Configuration;

/// <summary>
/// Loads a cleartext configuration file (<see cref="ConfigFile.Load"/>); when it fails because the file is a keyset
/// (its <c>"format"</c> is <c>veil-keyset/…</c>), says to give it as a keyset (<c>--keyset</c>) instead of the parse error.
/// </summary>
public static class ConfigurationLoader
{
    private const string KeysetFormatPrefix = "veil-keyset/";

    /// <summary>Loads the configuration file at <paramref name="path"/>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The configuration; dispose its secrets with <see cref="ConfigFile.DisposeSecrets"/>.</returns>
    /// <exception cref="ConfigurationFileException">The file is missing, unreadable or invalid, or is a keyset.</exception>
    public static VeilConfiguration Load(string path)
    {
        try
        {
            return ConfigFile.Load(path);
        }
        catch (ConfigurationFileException e) when (IsKeyset(path))
        {
            throw new ConfigurationFileException(
                $"Invalid options: '{path}' is a keyset (its \"format\" is {KeysetFormatPrefix}…), not a configuration file; give it with --keyset instead of --config.", e);
        }
    }

    private static bool IsKeyset(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("format", out JsonElement format)
                && format.ValueKind == JsonValueKind.String
                && format.GetString()!.StartsWith(KeysetFormatPrefix, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return false;
        }
    }
}
