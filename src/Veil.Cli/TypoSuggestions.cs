using System.CommandLine;

namespace Veil.Cli;

/// <summary>
/// "Did you mean" for a mistyped command or option: the closest name (by optimal string alignment distance: edits and
/// swapped neighbours) among the subcommands (for a word) or the options (for a <c>-</c>-prefixed token) of the
/// command the parse reached. System.CommandLine's own typo correction runs only in its error action, which veil
/// replaces to keep stdout for data.
/// </summary>
internal static class TypoSuggestions
{
    /// <summary>The suggestions for each unmatched token of <paramref name="parseResult"/> that has a close name.</summary>
    public static IEnumerable<string> For(ParseResult parseResult)
    {
        Command command = parseResult.CommandResult.Command;
        foreach (string token in parseResult.UnmatchedTokens.Distinct(StringComparer.Ordinal))
        {
            IEnumerable<string> names = token.StartsWith('-') ? OptionNames(parseResult) : SubcommandNames(command);
            if (Closest(token, names) is { } suggestion)
            {
                yield return $"'{token}': did you mean '{suggestion}'?";
            }
        }
    }

    /// <summary>The name nearest <paramref name="token"/>, if it is within a third of the token's length (at least 1 edit) and unique.</summary>
    internal static string? Closest(string token, IEnumerable<string> names)
    {
        int limit = Math.Max(1, token.TrimStart('-').Length / 3);
        var best = names.Distinct(StringComparer.Ordinal)
            .Select(name => (Name: name, Distance: Distance(token, name)))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return best.Count > 0 && (best.Count == 1 || best[1].Distance > best[0].Distance) ? best[0].Name : null;
    }

    private static IEnumerable<string> SubcommandNames(Command command) =>
        command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));

    /// <summary>The options of the command the parse reached, and the recursive options of its parents.</summary>
    private static IEnumerable<string> OptionNames(ParseResult parseResult) =>
        parseResult.CommandResults()
            .SelectMany(command => command.Command.Options.Where(o => !o.Hidden && (command == parseResult.CommandResult || o.Recursive)))
            .SelectMany(option => option.Aliases.Prepend(option.Name));

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
