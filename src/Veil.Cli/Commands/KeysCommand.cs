using System.Globalization;
using Veil.Cli.Commands.OptionGroups;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil keys create|add|promote|retire|list|export-public-info|check|import-insecure-cleartext|upgrade</c>: manage a
/// wrapped keyset file (<c>veil-keyset/2</c>) through <see cref="KeysetEditor"/>. Every command that changes the file
/// checks its authentication tag through the KMS first and signs it again; list and export-public-info read it without
/// the KMS (unauthenticated: check verifies).
/// </summary>
internal sealed class KeysCommand : VeilCommand
{
    private readonly Option<string> _keyset = new("--keyset") { Description = "The keyset file (JSON, \"format\": \"veil-keyset/2\").", Required = true, Recursive = true };
    private readonly Option<string> _kms = new("--kms") { Description = "The key-encryption key's URI: local:<key file> (passphrase, Argon2id, AES-256-GCM; for development) or pkcs11:token=<label>;object=<label> (an HSM). Defaults to the keyset's kekUri. A relative local: path is relative to the keyset file's directory, as it is when the keyset is used.", Recursive = true };
    private readonly KmsCredentialOptions _credentials = new(recursive: true, passphraseStdin: true);

    public KeysCommand(CliConsole console)
        : base(console, "keys", "Manage a keyset: secrets wrapped by a KMS key (local passphrase file or PKCS#11 token), with the lifecycle create → add → promote → (re-encrypt) → retire.")
    {
        this.Add(_keyset, _kms);
        _credentials.AddTo(this);
        Subcommands.Add(CreateCommand());
        Subcommands.Add(AddCommand());
        Subcommands.Add(PromoteCommand());
        Subcommands.Add(RetireCommand());
        Subcommands.Add(ListCommand());
        Subcommands.Add(ExportPublicInfoCommand());
        Subcommands.Add(CheckCommand());
        Subcommands.Add(ImportCommand());
        Subcommands.Add(UpgradeCommand());
    }

    /// <summary>Argon2id costs for key files created by <c>--create-kek</c>; tests lower them, the CLI keeps the defaults.</summary>
    internal static Kms.LocalFile.LocalFileKmsOptions? LocalOptionsForTests { get; set; }

    private static Option<bool> CreateKekOption() => Opt<bool>("--create-kek", "Create the key-encryption key first: a new local key file, or an AES-256 key generated inside the token as non-extractable.");

    private Command CreateCommand()
    {
        var vector = Opt<string[]>("--vector", "A vector secret path to create (repeatable).");
        var deterministic = Opt<string[]>("--deterministic", "A deterministic-field secret path to create (repeatable).");
        var standard = Opt<bool>("--standard", "Create a standard-document secret.");
        var settings = new VectorSettingsOptions();
        Option<bool> createKek = CreateKekOption();
        return Changing("create", "Create a new keyset file with a current secret for each given path (the file must not exist).", [vector, .. settings.Options, deterministic, standard, createKek], (parseResult, cancellationToken) => KeysetEditor.CreateAsync(
            parseResult.GetValue(_keyset)!, KmsUri(parseResult), Kms(parseResult), parseResult.GetValue(createKek), parseResult.GetValue(vector) ?? [], settings.Get(parseResult, scalingDefault: false), parseResult.GetValue(deterministic) ?? [], parseResult.GetValue(standard), cancellationToken));
    }

    private Command AddCommand()
    {
        var target = new Target(idRequired: false);
        var settings = new VectorSettingsOptions();
        return Changing("add", "Add a new secret to a path: pending (decrypt-only) until promoted; on a new path it is current at once. Needs the KMS.", [.. target.Options, .. settings.Options], (parseResult, cancellationToken) =>
        {
            ((KeysetSection section, SecretPath path), KeyId? id) = target.Get(parseResult);
            return KeysetEditor.AddAsync(parseResult.GetValue(_keyset)!, Kms(parseResult), section, path, settings.Get(parseResult, scalingDefault: null), id, parseResult.GetValue(_kms), cancellationToken);
        });
    }

    private Command PromoteCommand()
    {
        var target = new Target(idRequired: true);
        return Changing("promote", "Make a secret current: a pending secret becomes current and the old current one goes in rotation (it still decrypts and is queried). Promoting the in-rotation secret rolls back. Needs the KMS (to check and renew the keyset's authentication tag).", target.Options, (parseResult, cancellationToken) =>
        {
            ((KeysetSection section, SecretPath path), KeyId? id) = target.Get(parseResult);
            return KeysetEditor.PromoteAsync(parseResult.GetValue(_keyset)!, Kms(parseResult), section, path, id!.Value, cancellationToken);
        });
    }

    private Command RetireCommand()
    {
        var target = new Target(idRequired: true);
        var store = Opt<string>("--store", "A store (duckdb:PATH or postgres:\"CONNECTION STRING\", as in veil ingest) to check first: retire refuses while its collections still hold rows encrypted with the secret.");
        var collection = Opt<string>("--collection", "With --store: the collection to check (default: every collection veil created in the store).");
        var force = Opt<bool>("--force", "With --store: retire even though rows are still encrypted with the secret (they can no longer be decrypted).");
        const string Description = "Retire a secret (in rotation or pending) once its data is re-encrypted: it stays wrapped in the file but is never loaded again. With --store, refuses while the store still holds rows under it. Needs the KMS (to check and renew the keyset's authentication tag).";
        return Changing("retire", Description, [store, collection, force, .. target.Options], async (parseResult, cancellationToken) =>
        {
            ((KeysetSection section, SecretPath path), KeyId? id) = target.Get(parseResult);
            Terminal.Error.WriteLine(parseResult.GetValue(store) is { } storeValue
                ? await KeyUsage.CheckRetireAsync(StoreLocation.Parse(storeValue), parseResult.GetValue(collection), section, path, id!.Value, parseResult.GetValue(force), cancellationToken).ConfigureAwait(false)
                : $"warning: data still encrypted with secret {id} can no longer be decrypted once it is retired; give --store (and --collection) to have veil count such rows first.");
            return await KeysetEditor.RetireAsync(parseResult.GetValue(_keyset)!, Kms(parseResult), section, path, id!.Value, cancellationToken).ConfigureAwait(false);
        });
    }

    private Command ListCommand()
    {
        var json = Opt<bool>("--json", "One JSON object per secret instead of a table.");
        return Reading("list", "List the secrets' metadata (section, path, id, state, β, creation time, KEK URI); never key material. No KMS access, so not authenticated (check verifies).", [json], (parseResult, _) =>
        {
            KeysetEditor.WriteList(Terminal.Output, KeysetFile.Load(parseResult.GetValue(_keyset)!), parseResult.GetValue(json));
            return Task.CompletedTask;
        });
    }

    private Command ExportPublicInfoCommand() => Reading(
        "export-public-info",
        "Write the keyset's public metadata as one JSON document (for audits and inventories): no wrapped or cleartext key material. No KMS access, so not authenticated (check verifies).",
        [],
        (parseResult, _) => Terminal.Output.WriteLineAsync(KeysetInfoJson.PublicInfo(KeysetFile.Load(parseResult.GetValue(_keyset)!))));

    private Command CheckCommand() => Reading(
        "check",
        "Unwrap every live secret through the KMS (then zero it) to prove the keyset opens: exit 3 if a wrapped secret was altered.",
        [],
        async (parseResult, cancellationToken) =>
        {
            (int live, int retired) = await KeysetEditor.CheckAsync(parseResult.GetValue(_keyset)!, Kms(parseResult), cancellationToken).ConfigureAwait(false);
            Terminal.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"live\":{live},\"retired\":{retired}}}"));
        });

    private Command ImportCommand()
    {
        var config = new Option<string>("--config") { Description = "The cleartext configuration file to import (the --config format of the other commands).", Required = true };
        Option<bool> createKek = CreateKekOption();
        const string Description = "INSECURE migration: wrap the secrets of a cleartext --config file into a new keyset. The cleartext file has exposed its secrets; delete it and plan a rotation to secrets generated by 'keys add'.";
        return Changing("import-insecure-cleartext", Description, [config, createKek], (parseResult, cancellationToken) => KeysetEditor.ImportInsecureCleartextAsync(
            parseResult.GetValue(_keyset)!, parseResult.GetValue(config)!, KmsUri(parseResult), Kms(parseResult), parseResult.GetValue(createKek), cancellationToken));
    }

    private Command UpgradeCommand() => Changing(
        "upgrade",
        $"Upgrade a '{Keyset.Version1FormatName}' keyset (unauthenticated states) to '{Keyset.FormatName}': check its states with 'list' first; this adds an integrity key wrapped by the keyset's kekUri and an authentication tag, after unwrapping every live secret once.",
        [],
        (parseResult, cancellationToken) => KeysetEditor.UpgradeAsync(parseResult.GetValue(_keyset)!, Kms(parseResult), cancellationToken));

    /// <summary>A subcommand that changes the keyset: it writes the secrets it touched (JSON, one per line) on stdout, then what to do next on stderr.</summary>
    private Command Changing(string name, string description, Option[] options, Func<ParseResult, CancellationToken, Task<KeysetChange>> changeAsync)
    {
        var command = new Command(name, description);
        command.Add(options);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            KeysetChange change = await changeAsync(parseResult, cancellationToken).ConfigureAwait(false);
            KeysetInfoJson.WriteSecrets(Terminal.Output, change.Secrets);
            Terminal.Error.WriteLine(change.Summary);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A subcommand that reads the keyset and writes what it finds on stdout.</summary>
    private static Command Reading(string name, string description, Option[] options, Func<ParseResult, CancellationToken, Task> read)
    {
        var command = new Command(name, description);
        command.Add(options);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await read(parseResult, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    private string KmsUri(ParseResult parseResult) => parseResult.GetValue(_kms) ?? throw new CliUsageException("--kms is required.");

    private KmsSelection Kms(ParseResult parseResult) =>
        new(Terminal.Input, _credentials.Read(parseResult, LocalOptionsForTests, KmsSettings.DirectoryOf(parseResult.GetValue(_keyset)!)));

    /// <summary>--beta, --scaling, --dimensions and --max-norm: the settings of a new vector path.</summary>
    private sealed class VectorSettingsOptions
    {
        private readonly Option<float?> Beta = Opt<float?>("--beta", "The approximation factor β of a new vector path (larger: more noise, more privacy, less accurate search).");
        private readonly Option<bool> Scaling = Opt<bool>("--scaling", "Use the key-derived scaling factor on a new vector path (Alloy before 0.13); default off.");
        private readonly Option<int?> Dimensions = Opt<int?>("--dimensions", "Fix the dimension of a new vector path: vectors of any other length are refused by every operation (recorded in the keyset, authenticated).");
        private readonly Option<float?> MaxNorm = Opt<float?>("--max-norm", "Refuse vector inputs of a new vector path whose L2 norm exceeds this (1.001 for normalised embeddings): a large-norm input reveals the key's permutation. Recorded in the keyset; veil serve applies 1.001 when it is not set.");

        private readonly Option<bool> StructuredRotation = Opt<bool>("--structured-rotation", "Give a new vector path Veil's structured rotation key transform instead of Alloy's permutation (NOT Alloy-compatible; resists ciphertext-only alignment better, not known pairs or an encryption oracle: docs/leakage.md). Recorded in the keyset.");

        public Option[] Options => [Beta, Scaling, Dimensions, MaxNorm, StructuredRotation];

        /// <summary>The settings; <paramref name="scalingDefault"/> when --scaling is not given.</summary>
        public VectorSecretSettings Get(ParseResult parseResult, bool? scalingDefault) =>
            new(
                parseResult.GetValue(Beta),
                parseResult.GetValue(Scaling) ? true : scalingDefault,
                parseResult.GetValue(Dimensions),
                parseResult.GetValue(MaxNorm),
                parseResult.GetValue(StructuredRotation) ? VectorKeyTransform.StructuredRotation : null);
    }

    /// <summary>Which secret add, promote and retire act on: exactly one of --vector, --deterministic and --standard, and --id.</summary>
    private sealed class Target(bool idRequired)
    {
        private readonly Option<string> _vector = Opt<string>("--vector", "The vector secret path.");
        private readonly Option<string> _deterministic = Opt<string>("--deterministic", "The deterministic-field secret path.");
        private readonly Option<bool> _standard = Opt<bool>("--standard", "The standard-document secrets.");
        private readonly Option<uint?> _id = new("--id") { Description = idRequired ? "The key id of the secret." : "The key id of the new secret (default: one more than the largest in the section).", Required = idRequired };

        public Option[] Options => [_vector, _deterministic, _standard, _id];

        public (KeysetSecretAddress Address, KeyId? Id) Get(ParseResult parseResult) => (
            KeysetSecretAddress.Of(parseResult.GetValue(_vector), parseResult.GetValue(_deterministic), parseResult.GetValue(_standard)),
            parseResult.GetValue(_id) is { } value ? new KeyId(value) : null);
    }
}
