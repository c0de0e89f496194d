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

    /// <summary>Makes <paramref name="option"/> required (when <paramref name="required"/>).</summary>
    public static Option<T> AsRequired<T>(this Option<T> option, bool required = true)
    {
        option.Required = required;
        return option;
    }

    /// <summary>Makes <paramref name="option"/> apply to the subcommands too (when <paramref name="recursive"/>).</summary>
    public static Option<T> AsRecursive<T>(this Option<T> option, bool recursive = true)
    {
        option.Recursive = recursive;
        return option;
    }

    /// <summary>Lets <paramref name="option"/> take several values per token (<c>--x a b</c>).</summary>
    public static Option<T> AsMultiple<T>(this Option<T> option)
    {
        option.AllowMultipleArgumentsPerToken = true;
        return option;
    }

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

    /// <summary>Runs <paramref name="read"/>, reporting a <see cref="FormatException"/> or <see cref="ArgumentException"/> as a usage error naming <paramref name="option"/>.</summary>
    public static T UsageOf<T>(string option, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new CliUsageException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>Runs <paramref name="check"/>, reporting a <see cref="FormatException"/> or <see cref="ArgumentException"/> as a usage error naming <paramref name="option"/>.</summary>
    public static void UsageOf(string option, Action check) => UsageOf(option, () =>
    {
        check();
        return true;
    });

    /// <summary>Runs <paramref name="parse"/>, reporting a <see cref="FormatException"/> (its message names the option) as "Invalid options: …".</summary>
    public static T InvalidOptions<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new CliUsageException($"Invalid options: {e.Message}", e);
        }
    }
}
