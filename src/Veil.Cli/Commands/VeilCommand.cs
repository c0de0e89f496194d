namespace Veil.Cli.Commands;

/// <summary>A command of <c>veil</c>: a <see cref="Command"/> with the standard streams it reads and writes.</summary>
/// <param name="terminal">The standard streams (tests pass their own).</param>
/// <param name="name">The command's name.</param>
/// <param name="description">Its help text.</param>
internal abstract class VeilCommand(CliConsole terminal, string name, string description) : Command(name, description)
{
    /// <summary>Gets the standard streams.</summary>
    protected CliConsole Terminal { get; } = terminal;
}
