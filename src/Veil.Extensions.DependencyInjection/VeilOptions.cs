using Veil.Configuration;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// Where an application's Veil operations come from, bound from configuration (the <see cref="SectionName"/> section):
/// local keys (<see cref="Keys"/>: a keyset and its KMS) or the key service (<see cref="ServiceUrl"/> and
/// <see cref="ApiKey"/>), never both. Checked at start-up by <see cref="VeilOptionsValidator"/>.
/// </summary>
/// <example>
/// <code>
/// "Veil": { "Keys": { "KeysetPath": "keyset.json" } }                          // passphrase in VEIL_KMS_PASSPHRASE
/// "Veil": { "ServiceUrl": "https://keys.internal:8443/", "ApiKey": "…" }      // or Veil__ApiKey in the environment
/// </code>
/// </example>
public sealed class VeilOptions
{
    /// <summary>The configuration section the options are usually bound from.</summary>
    public const string SectionName = "Veil";

    /// <summary>Local keys: a keyset unwrapped through its KMS (or, for development, a cleartext configuration file).</summary>
    public VeilKeysOptions Keys { get; set; } = new();

    /// <summary>The key service's base URL (<c>veil serve</c>, or an app with <c>MapVeilKeyService</c>); null for local keys.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The API key for <see cref="ServiceUrl"/>; keep it out of files (environment variable <c>Veil__ApiKey</c>, user secrets, a vault).</summary>
    public string? ApiKey { get; set; }

    /// <summary>The most items sent to the key service in one request.</summary>
    public int MaxItemsPerRequest { get; set; } = 256;

    /// <summary>How long a request to the key service may take.</summary>
    public TimeSpan ServiceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc/>
    public override string ToString() => ServiceUrl is null ? "VeilOptions (local keys)" : $"VeilOptions (key service {ServiceUrl}, API key redacted)";
}
