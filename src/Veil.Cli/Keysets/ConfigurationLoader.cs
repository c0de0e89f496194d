using System.Text.Json;
using Veil.Configuration;

namespace Veil.Cli.Keysets;

/// <summary>
/// Loads a <c>--config</c> file (<see cref="ConfigFile.Load"/>); when it fails because the file is a keyset (its
/// <c>"format"</c> is <c>veil-keyset/…</c>), says to give it with <c>--keyset</c> instead of the parse error.
/// </summary>
internal static class ConfigurationLoader
{
    private const string KeysetFormatPrefix = "veil-keyset/";

    /// <exception cref="ConfigurationFileException">The file is missing, unreadable or invalid (and not a keyset).</exception>
    /// <exception cref="CliUsageException">The file is a keyset.</exception>
    public static VeilConfiguration Load(string path)
    {
        try
        {
            return ConfigFile.Load(path);
        }
        catch (ConfigurationFileException e) when (IsKeyset(path))
        {
            throw new CliUsageException(
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
