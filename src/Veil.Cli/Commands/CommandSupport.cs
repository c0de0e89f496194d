using System.CommandLine;
using Veil.Cli.Keysets;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Insecure;

namespace Veil.Cli.Commands;

/// <summary>What every pipeline command does around its handler: load the configuration, build the client, report usage errors.</summary>
internal static class CommandSupport
{
    public const string InsecureSeedWarning =
        "warning: --insecure-seed makes every ciphertext predictable from the seed. Use it only to reproduce test vectors; the output must not be used in production.";

    /// <summary>
    /// Loads the keys (from --config or --keyset), checks them with <paramref name="check"/>, builds the (possibly
    /// seeded) client and runs <paramref name="run"/>. Usage errors print one message to stderr and return
    /// <see cref="ExitCodes.InvalidOptions"/>; a keyset that does not unwrap returns its own exit code.
    /// </summary>
    public static int Run(
        CliConsole console,
        KeySource keys,
        ParseResult parseResult,
        int? insecureSeed,
        Action<VeilConfiguration> check,
        Func<VeilClient, int> run)
    {
        try
        {
            using LoadedVeilKeys loaded = keys.Load(parseResult, console);
            check(loaded.Configuration);
            using VeilClient client = CreateClient(loaded.Configuration, insecureSeed, console.Error);
            return run(client);
        }
        catch (KeysetUnavailableException e)
        {
            console.Error.WriteLine(e.Message);
            return ExitCodes.Of(e);
        }
    }

    public static VeilClient CreateClient(VeilConfiguration configuration, int? insecureSeed, TextWriter error)
    {
        if (insecureSeed is { } seed)
        {
            error.WriteLine(InsecureSeedWarning);
            return InsecureSeededClient.Create(configuration, seed);
        }

        return new VeilClient(configuration);
    }

    /// <summary>Runs a synchronous pipeline action as the command's asynchronous action.</summary>
    public static void SetPipelineAction(Command command, Func<ParseResult, CancellationToken, int> action) =>
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(action(parseResult, cancellationToken)));
}
