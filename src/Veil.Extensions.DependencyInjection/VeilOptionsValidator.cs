using Microsoft.Extensions.Options;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// Checks <see cref="VeilOptions"/> at start-up: exactly one of local keys and the key service; for local keys, files
/// that exist; for the service, an absolute http(s) URL and an API key. Messages name the setting (<c>Veil:Name</c>).
/// </summary>
public sealed class VeilOptionsValidator : IValidateOptions<VeilOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, VeilOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = VeilOptions.SectionName;
        var problems = new List<string>();
        if (options.ServiceUrl is null)
        {
            if (!options.Keys.IsSet)
            {
                problems.Add($"{Section}: give either Keys:KeysetPath (local keys: a keyset and its KMS) or ServiceUrl (the key service).");
            }
            else
            {
                problems.AddRange(options.Keys.Problems($"{Section}:Keys"));
            }
        }
        else
        {
            if (options.Keys.IsSet)
            {
                problems.Add($"{Section}: give either Keys (local keys) or ServiceUrl (the key service), not both.");
            }

            if (!Uri.TryCreate(options.ServiceUrl, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                problems.Add($"{Section}:ServiceUrl: '{options.ServiceUrl}' is not an absolute http:// or https:// URL.");
            }

            if (string.IsNullOrEmpty(options.ApiKey))
            {
                problems.Add($"{Section}:ApiKey is required with ServiceUrl (set it from the environment, Veil__ApiKey, or a secret store).");
            }
        }

        if (options.MaxItemsPerRequest < 1)
        {
            problems.Add($"{Section}:MaxItemsPerRequest must be greater than zero.");
        }

        if (options.ServiceTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{Section}:ServiceTimeout must be greater than zero.");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
