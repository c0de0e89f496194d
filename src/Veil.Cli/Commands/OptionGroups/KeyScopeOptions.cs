using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>
/// Which keys a command derives: --tenant and, unless <paramref name="paths"/> is false, --secret-path and
/// --derivation-path, read into an <see cref="OperationScope"/>. Required (and given on the parent command or a
/// subcommand) for the pipelines; optional for commands that need keys only sometimes, checked when read.
/// </summary>
internal sealed class KeyScopeOptions(bool required, bool paths = true)
{
    public readonly Option<string> Tenant = new("--tenant") { Description = "The tenant id keys are derived for.", Required = required, Recursive = required };
    public readonly Option<string>? SecretPath = paths ? new Option<string>("--secret-path") { Description = "The secret path: which entry of the configuration's section to use (may be \"\").", Required = required, Recursive = required } : null;
    public readonly Option<string>? DerivationPath = paths ? new Option<string>("--derivation-path") { Description = "The derivation path keys are derived for (may be \"\").", Required = required, Recursive = required } : null;

    private Option<string>[] All => SecretPath is null || DerivationPath is null ? [Tenant] : [SecretPath, DerivationPath, Tenant];

    public void AddTo(Command command) => command.Add(All);

    /// <summary>Whether any of the options was given.</summary>
    public bool IsGiven(ParseResult parseResult) => All.Any(o => parseResult.GetResult(o) is { Implicit: false });

    /// <summary>The scope, optionally re-targeted to <paramref name="newTenant"/>; every option of the group must be given.</summary>
    /// <exception cref="CliUsageException">An option is missing.</exception>
    public OperationScope Read(ParseResult parseResult, TenantId? newTenant = null)
    {
        string[] missing = All.Where(o => parseResult.GetValue(o) is null).Select(o => o.Name).ToArray();
        if (missing.Length > 0)
        {
            throw new CliUsageException($"Invalid options: {string.Join(", ", missing)} required.");
        }

        var tenant = new TenantId(parseResult.GetValue(Tenant)!);
        return SecretPath is null || DerivationPath is null
            ? OperationScope.ForDocuments(tenant, newTenant)
            : new(tenant, new SecretPath(parseResult.GetValue(SecretPath)!), new DerivationPath(parseResult.GetValue(DerivationPath)!), newTenant);
    }
}
