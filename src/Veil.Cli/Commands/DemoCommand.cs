using System.CommandLine;
using Veil.Cli.Configuration;
using Veil.Cli.Demo;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil demo</c>: the whole job end to end on a seeded synthetic sample set, with no external files: encrypt
/// vectors, categories and titles; search the ciphertexts; filter on an encrypted category; decrypt everything;
/// report recall, round-trip error and timings.
/// </summary>
internal sealed class DemoCommand : Command
{
    private readonly CliConsole _console;

    public DemoCommand(CliConsole console)
        : base("demo", "Run Veil end to end on a synthetic sample set (fresh in-memory secrets): encrypt, search, filter, decrypt; report recall and timings.")
    {
        _console = console;
        Options.Add(CountOption);
        Options.Add(DimensionsOption);
        Options.Add(BetaOption);
        Options.Add(SeedOption);
        Options.Add(QueriesOption);
        Options.Add(ClustersOption);
        Options.Add(ConfigOption);
        Options.Add(SecretPathOption);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, cancellationToken)));
    }

    internal Option<int> CountOption { get; } = new("--count")
    {
        Description = "How many vectors to encrypt and search.",
        DefaultValueFactory = _ => 2000,
    };

    internal Option<int> DimensionsOption { get; } = new("--dimensions")
    {
        Description = "Vector dimensions.",
        DefaultValueFactory = _ => 384,
    };

    internal Option<float> BetaOption { get; } = new("--beta")
    {
        Description = "The approximation factor β of the generated vector secret (larger is more secure and less accurate).",
        DefaultValueFactory = _ => 2.5f,
    };

    internal Option<int> SeedOption { get; } = new("--seed")
    {
        Description = "Seed of the synthetic sample set (not of the encryption, which always uses fresh randomness).",
        DefaultValueFactory = _ => 42,
    };

    internal Option<int> QueriesOption { get; } = new("--queries")
    {
        Description = "How many held-out queries to search with.",
        DefaultValueFactory = _ => 50,
    };

    internal Option<int> ClustersOption { get; } = new("--clusters")
    {
        Description = "How many Gaussian clusters (and categories) the sample set has (1 to 20).",
        DefaultValueFactory = _ => 20,
    };

    internal Option<string> ConfigOption { get; } = new("--config")
    {
        Description = "Use this configuration's vector secret (and its deterministic and standard secrets, when present) instead of fresh random ones.",
    };

    internal Option<string> SecretPathOption { get; } = new("--secret-path")
    {
        Description = "With --config: the vector (and deterministic) secret path to use; defaults to the first vector path.",
    };

    private int Run(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            var settings = new DemoSettings(
                Count: parseResult.GetValue(CountOption),
                Dimensions: parseResult.GetValue(DimensionsOption),
                Beta: parseResult.GetValue(BetaOption),
                Seed: parseResult.GetValue(SeedOption),
                Queries: parseResult.GetValue(QueriesOption),
                Clusters: parseResult.GetValue(ClustersOption));
            settings.Validate();
            (VeilConfiguration configuration, SecretPath secretPath, string description) = BuildConfiguration(
                settings, parseResult.GetValue(ConfigOption), parseResult.GetValue(SecretPathOption));
            try
            {
                using var client = new VeilClient(configuration);
                return new DemoRunner(_console, settings, client, secretPath, description).Run(cancellationToken);
            }
            finally
            {
                ConfigFile.DisposeSecrets(configuration);
            }
        }
        catch (CliUsageException e)
        {
            _console.Error.WriteLine(e.Message);
            return ExitCodes.InvalidOptions;
        }
    }

    private static (VeilConfiguration Configuration, SecretPath SecretPath, string Description) BuildConfiguration(
        DemoSettings settings, string? configPath, string? secretPathOption)
    {
        if (configPath is null)
        {
            SecretPath path = secretPathOption ?? DemoRunner.DefaultSecretPath;
            var fresh = new VeilConfiguration(
                new Dictionary<SecretPath, VectorSecret> { [path] = new(settings.Beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), Secret.Generate()))) },
                new Dictionary<SecretPath, RotatableSecret> { [path] = new(new IdentifiedSecret(new KeyId(1), Secret.Generate())) },
                new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), Secret.Generate())]));
            return (fresh, path, $"fresh random in-memory secrets (vector β = {settings.Beta}, no scaling factor)");
        }

        VeilConfiguration loaded = ConfigFile.Load(configPath);
        try
        {
            SecretPath vectorPath = secretPathOption is { } p ? p
                : loaded.Vector.Keys.FirstOrDefault() is { } first && loaded.Vector.Count > 0 ? first
                : throw new CliUsageException("Invalid options: veil demo --config needs a configuration with a vector section.");
            if (!loaded.Vector.TryGetValue(vectorPath, out VectorSecret? vector))
            {
                throw new CliUsageException($"Invalid options: --secret-path \"{vectorPath}\" is not in the configuration's vector section.");
            }

            if (vector.Secrets.Current is null)
            {
                throw new CliUsageException($"Invalid options: the vector secret path \"{vectorPath}\" has no current secret to encrypt with.");
            }

            // Fill in whatever the file does not configure with fresh secrets, so that every part of the demo runs.
            bool freshDeterministic = !loaded.Deterministic.TryGetValue(vectorPath, out RotatableSecret? deterministic) || deterministic.Current is null;
            var deterministicSection = new Dictionary<SecretPath, RotatableSecret>(loaded.Deterministic);
            if (freshDeterministic)
            {
                deterministicSection[vectorPath] = new RotatableSecret(new IdentifiedSecret(new KeyId(1), Secret.Generate()));
            }

            bool freshStandard = loaded.Standard?.Primary is null;
            StandardSecrets standard = freshStandard
                ? new StandardSecrets(new KeyId(1), [new IdentifiedSecret(new KeyId(1), Secret.Generate())])
                : loaded.Standard!;
            if (freshStandard && loaded.Standard is not null)
            {
                foreach (IdentifiedSecret unused in loaded.Standard.Secrets)
                {
                    unused.Secret.Dispose();
                }
            }

            var configuration = new VeilConfiguration(loaded.Vector, deterministicSection, standard);
            string description = $"vector secret \"{vectorPath}\" from {configPath} (β = {vector.ApproximationFactor}, scaling factor {(vector.UseScalingFactor ? "on" : "off")}); "
                + $"{(freshDeterministic ? "fresh" : "configured")} deterministic and {(freshStandard ? "fresh" : "configured")} standard secrets";
            return (configuration, vectorPath, description);
        }
        catch
        {
            ConfigFile.DisposeSecrets(loaded);
            throw;
        }
    }
}
