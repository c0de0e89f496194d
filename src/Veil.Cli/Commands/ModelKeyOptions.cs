using System.CommandLine;
using Veil.Cli.Keysets;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// The key a <c>veil train</c> / <c>veil predict</c> model is bound to: the keys (--config or --keyset), the tenant,
/// the vector secret path and the derivation path, and --insecure-seed. Checked when a key is used, so
/// <c>veil train --betas</c> (throwaway keys) needs none of them.
/// </summary>
internal sealed class ModelKeyOptions
{
    internal readonly KeySource Keys = CommonOptions.Keys();
    internal readonly Option<string> TenantOption = Optional(CommonOptions.Tenant());
    internal readonly Option<string> SecretPathOption = Optional(CommonOptions.SecretPath());
    internal readonly Option<string> DerivationPathOption = Optional(CommonOptions.DerivationPath());
    internal readonly Option<int?> InsecureSeedOption = CommonOptions.InsecureSeed();

    public void AddTo(Command command)
    {
        Keys.AddTo(command);
        command.Options.Add(TenantOption);
        command.Options.Add(SecretPathOption);
        command.Options.Add(DerivationPathOption);
        command.Options.Add(InsecureSeedOption);
    }

    /// <summary>Whether any key option was given.</summary>
    public bool IsGiven(ParseResult parseResult) =>
        new Option[] { TenantOption, SecretPathOption, DerivationPathOption, InsecureSeedOption }.Any(o => parseResult.GetResult(o) is { Implicit: false })
        || parseResult.GetValue(Keys.Config) is not null || parseResult.GetValue(Keys.Keyset) is not null;

    /// <summary>The key scope, which must be given in full (the keys themselves are checked when loaded).</summary>
    public (SecretPath SecretPath, DerivationPath DerivationPath, TenantId Tenant) Scope(ParseResult parseResult)
    {
        string[] missing = new[] { SecretPathOption, DerivationPathOption, TenantOption }.Where(o => parseResult.GetValue(o) is null).Select(o => o.Name).ToArray();
        return missing.Length == 0
            ? (new SecretPath(parseResult.GetValue(SecretPathOption)!), new DerivationPath(parseResult.GetValue(DerivationPathOption)!), new TenantId(parseResult.GetValue(TenantOption)!))
            : throw new CliUsageException($"Invalid options: {string.Join(", ", missing)} required.");
    }

    /// <summary>
    /// Loads the keys, checks that <paramref name="secretPath"/> has vector secrets, builds the client and runs
    /// <paramref name="run"/> (see <see cref="CommandSupport.Run"/>).
    /// </summary>
    public int Run(CliConsole console, ParseResult parseResult, SecretPath secretPath, Func<VeilClient, int> run) =>
        CommandSupport.Run(console, Keys, parseResult, parseResult.GetValue(InsecureSeedOption), c => c.EnsureConfigured(KeysetSection.Vector, secretPath), run);

    private static Option<T> Optional<T>(Option<T> option)
    {
        option.Required = false;
        option.Recursive = false;
        return option;
    }
}
