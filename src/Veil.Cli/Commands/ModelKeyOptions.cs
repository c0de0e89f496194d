using Veil.Cli.Commands.OptionGroups;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>
/// The key a <c>veil train</c> / <c>veil predict</c> model is bound to: the client (<see cref="ClientOptions"/>) and
/// the optional key scope (<see cref="KeyScopeOptions"/>). Checked when a key is used, so <c>veil train --betas</c>
/// (throwaway keys) needs none of them.
/// </summary>
internal sealed class ModelKeyOptions
{
    private readonly ClientOptions _client = new();
    private readonly KeyScopeOptions _scope = new(required: false);

    public void AddTo(Command command)
    {
        _client.AddTo(command);
        _scope.AddTo(command);
    }

    /// <summary>Whether any key option was given.</summary>
    public bool IsGiven(ParseResult parseResult) => _client.IsGiven(parseResult) || _scope.IsGiven(parseResult);

    /// <summary>The key scope, which must be given in full (the keys themselves are checked when loaded).</summary>
    public (SecretPath SecretPath, DerivationPath DerivationPath, TenantId Tenant) Scope(ParseResult parseResult)
    {
        OperationScope scope = _scope.Read(parseResult);
        return (scope.SecretPath, scope.DerivationPath, scope.Tenant);
    }

    /// <summary>Loads the keys, checks that <paramref name="secretPath"/> has vector secrets, builds the client and runs <paramref name="run"/>.</summary>
    public int Run(CliConsole console, ParseResult parseResult, SecretPath secretPath, Func<VeilClient, int> run) =>
        _client.Run(parseResult, console, c => c.EnsureConfigured(KeysetSection.Vector, secretPath), run);
}
