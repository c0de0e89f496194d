using System.CommandLine;
using System.CommandLine.Parsing;

namespace Veil.Cli;

/// <summary>The option plumbing every command repeats: declare an option in one line, add several at once.</summary>
internal static class CommandExtensions
{
    /// <summary>Adds <paramref name="options"/> to <paramref name="command"/>, in order.</summary>
    public static void Add(this Command command, params Option[] options)
    {
        foreach (Option option in options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>An option with a description (and no default).</summary>
    public static Option<T> Opt<T>(string name, string description) => new(name) { Description = description };

    /// <summary>An option with a description and a default value.</summary>
    public static Option<T> Opt<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>Refuses values of <paramref name="option"/> below 1 when the command line is parsed (such as --batch-size 0).</summary>
    public static Option<int> AtLeastOne(this Option<int> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"Invalid options: {option.Name} must be at least 1.");
            }
        });
        return option;
    }

    /// <summary>The results of the invoked command and of its parents, innermost first.</summary>
    public static IEnumerable<CommandResult> CommandResults(this ParseResult parseResult)
    {
        for (SymbolResult? result = parseResult.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                yield return command;
            }
        }
    }

    /// <summary>The invoked command as typed, such as <c>veil keys promote</c>.</summary>
    public static string CommandPath(this ParseResult parseResult) =>
        string.Join(' ', parseResult.CommandResults().Reverse().Select(c => c.Command.Name));
}
