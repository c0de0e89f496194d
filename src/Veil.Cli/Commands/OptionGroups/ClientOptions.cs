using Veil.Configuration;
using Veil.Insecure;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>The client a keyed command runs with: its keys (<see cref="KeySourceOptions"/>) and --insecure-seed.</summary>
internal sealed class ClientOptions(string configDescription = KeySourceOptions.AlloyConfigDescription)
{
    private const string InsecureSeedWarning =
        "warning: --insecure-seed makes every ciphertext predictable from the seed. Use it only to reproduce test vectors; the output must not be used in production.";

    public KeySourceOptions Keys { get; } = new(configDescription, recursive: true);

    public readonly Option<int?> InsecureSeed = new("--insecure-seed") { Description = "INSECURE, FOR TESTS ONLY: draw every IV and data key from ChaCha20 seeded with this 32-bit integer, as Alloy's seeded test client does, so that output is predictable. Never use in production.", Recursive = true };

    public void AddTo(Command command)
    {
        Keys.AddTo(command);
        command.Add(InsecureSeed);
    }

    /// <summary>Whether the keys or a seed were given.</summary>
    public bool IsGiven(ParseResult parseResult) => Keys.IsGiven(parseResult) || parseResult.GetResult(InsecureSeed) is { Implicit: false };

    /// <summary>
    /// Loads the keys, checks them with <paramref name="check"/>, builds the client (seeded, with a warning on stderr,
    /// under --insecure-seed) and runs <paramref name="run"/>. What fails is mapped to an exit code by <see cref="ExitCodes.For"/>.
    /// </summary>
    public int Run(ParseResult parseResult, CliConsole console, Action<VeilConfiguration> check, Func<VeilClient, int> run)
    {
        using LoadedVeilKeys loaded = Keys.LoadAsync(parseResult, CancellationToken.None).GetAwaiter().GetResult();
        check(loaded.Configuration);
        int? seed = parseResult.GetValue(InsecureSeed);
        if (seed is not null)
        {
            console.Error.WriteLine(InsecureSeedWarning);
        }

        using VeilClient client = seed is { } value ? InsecureSeededClient.Create(loaded.Configuration, value) : new VeilClient(loaded.Configuration);
        return run(client);
    }
}
