using Microsoft.Extensions.Options;

namespace Veil.Service;

/// <summary>
/// Checks <see cref="VeilKeyServiceOptions"/> at start-up: where the keys and clients come from (exactly one source
/// each, files that exist), and every limit in range. Each message names the setting as it is written in
/// configuration (<c>VeilKeyService:Name</c>).
/// </summary>
public sealed class VeilKeyServiceOptionsValidator : IValidateOptions<VeilKeyServiceOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, VeilKeyServiceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Section = VeilKeyServiceOptions.SectionName;
        var problems = new List<string>();
        if (options.Configuration is not null)
        {
            if (options.Keys.IsSet)
            {
                problems.Add($"{Section}: keys are given both in code (Configuration) and as files (Keys); give one.");
            }
        }
        else
        {
            problems.AddRange(options.Keys.Problems($"{Section}:Keys"));
        }

        if (options.Clients is not null && options.ClientsPath is not null)
        {
            problems.Add($"{Section}: clients are given both in code (Clients) and as a file (ClientsPath); give one.");
        }
        else if (options.Clients is null && options.ClientsPath is null)
        {
            problems.Add($"{Section}:ClientsPath (the clients file) is required.");
        }
        else if (options.ClientsPath is { } clientsPath && !File.Exists(clientsPath))
        {
            problems.Add($"{Section}:ClientsPath: the file '{clientsPath}' does not exist.");
        }

        if (options.AuditLog is not null && options.AuditLogPath is not null)
        {
            problems.Add($"{Section}: the audit log is given both in code (AuditLog) and as a file (AuditLogPath); give one.");
        }

        Positive(problems, nameof(options.MaxRequestBodyBytes), options.MaxRequestBodyBytes > 0);
        Positive(problems, nameof(options.MaxItemsPerRequest), options.MaxItemsPerRequest > 0);
        Positive(problems, nameof(options.RefusalBurst), options.RefusalBurst > 0);
        Positive(problems, nameof(options.RefusalInterval), options.RefusalInterval > TimeSpan.Zero);
        Positive(problems, nameof(options.LimitsSaveInterval), options.LimitsSaveInterval > TimeSpan.Zero);
        Positive(problems, nameof(options.DefaultMaxNorm), float.IsFinite(options.DefaultMaxNorm) && options.DefaultMaxNorm > 0);
        foreach ((string path, float norm) in options.MaxNorms)
        {
            Positive(problems, $"{nameof(options.MaxNorms)}:{path}", float.IsFinite(norm) && norm > 0);
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Positive(List<string> problems, string name, bool ok)
    {
        if (!ok)
        {
            problems.Add($"{VeilKeyServiceOptions.SectionName}:{name} must be greater than zero.");
        }
    }
}
