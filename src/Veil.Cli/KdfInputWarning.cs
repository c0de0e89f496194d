using System.CommandLine;
using System.CommandLine.Parsing;

namespace Veil.Cli;

/// <summary>
/// Warns (once per command, on stderr) when a tenant id or derivation path given on the command line contains
/// <c>-</c>. Alloy derives the vector and deterministic keys from <c>tenant ‖ "-" ‖ derivationPath</c>, so tenant
/// <c>acme</c> with path <c>eu-body</c> and tenant <c>acme-eu</c> with path <c>body</c> get the same key. The CLI
/// holds every key anyway and keeps Alloy's derivation bit for bit; the warning is for operators who rely on tenants
/// being separate (the key service refuses such ids by default).
/// </summary>
internal static class KdfInputWarning
{
    /// <summary>The options whose values enter the key derivation.</summary>
    public static readonly IReadOnlySet<string> OptionNames = new HashSet<string>(StringComparer.Ordinal) { "--tenant", "--new-tenant", "--derivation-path" };

    /// <summary>The warning for the options of the invoked command (and its parents), or null when no value contains <c>-</c>.</summary>
    public static string? For(ParseResult parseResult)
    {
        var ambiguous = new List<string>();
        var seen = new HashSet<Option>();
        for (SymbolResult? result = parseResult.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command)
            {
                continue;
            }

            foreach (Option option in command.Command.Options)
            {
                // The token as given (not GetValue, which throws while a required option is missing, as under --help).
                if (OptionNames.Contains(option.Name) && seen.Add(option)
                    && parseResult.GetResult(option) is { Tokens.Count: > 0 } given && given.Tokens[^1].Value is var value
                    && value.Contains('-', StringComparison.Ordinal))
                {
                    ambiguous.Add($"{option.Name} \"{value}\"");
                }
            }
        }

        return ambiguous.Count == 0
            ? null
            : $"warning: {string.Join(", ", ambiguous)} contain{(ambiguous.Count == 1 ? "s" : string.Empty)} '-'. Keys derive from tenant + \"-\" + derivation path (as in Alloy), "
                + "so tenant \"acme\" with path \"eu-body\" and tenant \"acme-eu\" with path \"body\" share one key. Avoid '-' in tenant ids and derivation paths if tenants must stay apart.";
    }
}
