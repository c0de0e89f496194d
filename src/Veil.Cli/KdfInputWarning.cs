using System.CommandLine.Parsing;
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

    /// <summary>The warning for the options of the invoked command (and its parents), or null when no value contains <c>-</c>.</summary>
    public static string? For(ParseResult parseResult)
    {
        var given = new List<(string Name, string Value)>();
        var seen = new HashSet<Option>();
        for (SymbolResult? result = parseResult.CommandResult; result is not null; result = result.Parent)
        {
            foreach (Option option in (result as CommandResult)?.Command.Options ?? [])
            {
                // The token as given (not GetValue, which throws while a required option is missing, as under --help).
                if (s_optionNames.Contains(option.Name) && seen.Add(option) && parseResult.GetResult(option) is { Tokens.Count: > 0 } value)
                {
                    given.Add((option.Name, value.Tokens[^1].Value));
                }
            }
        }

        return KdfInput.AmbiguityWarning(given);
    }
}
