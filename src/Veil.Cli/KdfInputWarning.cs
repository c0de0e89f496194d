using Veil.Keys;

namespace Veil.Cli;

/// <summary>
/// Warns (once per command, on stderr) when a tenant id or derivation path given on the command line contains
/// <c>-</c> (<see cref="KdfInput.AmbiguityWarning"/>). The CLI holds every key anyway and keeps Alloy's derivation bit
/// for bit; the warning is for operators who rely on tenants being separate (the key service refuses such ids by default).
/// </summary>
internal static class KdfInputWarning
{
    private static readonly HashSet<string> s_optionNames = new(StringComparer.Ordinal) { "--tenant", "--new-tenant", "--derivation-path" };

    /// <summary>
    /// The warning for the options of the invoked command (and its parents), or null when no value contains <c>-</c>.
    /// Reads the tokens as given, not GetValue, which throws while a required option is missing (as under --help).
    /// </summary>
    public static string? For(ParseResult parseResult) => KdfInput.AmbiguityWarning(
        parseResult.CommandResults()
            .SelectMany(command => command.Command.Options)
            .Where(option => s_optionNames.Contains(option.Name))
            .Distinct()
            .Select(option => (option.Name, Given: parseResult.GetResult(option)))
            .Where(option => option.Given is { Tokens.Count: > 0 })
            .Select(option => (option.Name, option.Given!.Tokens[^1].Value)));
}
