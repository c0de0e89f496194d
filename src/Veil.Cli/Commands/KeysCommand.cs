using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.VectorData;
using Veil.Cli.Keysets;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Insecure;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil keys create|add|promote|retire|list|export-public-info|check|import-insecure-cleartext</c>: manage a
/// wrapped keyset file (<c>veil-keyset/2</c>). Every command that changes the file checks its authentication tag
/// through the KMS first and signs it again; list and export-public-info read it without the KMS (unauthenticated:
/// check verifies).
/// </summary>
internal sealed class KeysCommand : Command
{
    private readonly CliConsole _console;

    public KeysCommand(CliConsole console)
        : base("keys", "Manage a keyset: secrets wrapped by a KMS key (local passphrase file or PKCS#11 token), with the lifecycle create → add → promote → (re-encrypt) → retire.")
    {
        _console = console;
        Options.Add(KeysetOption);
        Options.Add(KmsOption);
        Options.Add(PassphraseEnvOption);
        Options.Add(PassphraseStdinOption);
        Options.Add(PinEnvOption);
        Options.Add(Pkcs11ModuleOption);
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

    internal Option<string> KeysetOption { get; } = new("--keyset")
    {
        Description = "The keyset file (JSON, \"format\": \"veil-keyset/2\").",
        Required = true,
        Recursive = true,
    };

    internal Option<string> KmsOption { get; } = new("--kms")
    {
        Description = "The key-encryption key's URI: local:<key file> (passphrase, Argon2id, AES-256-GCM; for development) or pkcs11:token=<label>;object=<label> (an HSM). Defaults to the keyset's kekUri. A relative local: path is relative to the keyset file's directory, as it is when the keyset is used.",
        Recursive = true,
    };

    internal Option<string> PassphraseEnvOption { get; } = KmsOptions.PassphraseEnv(recursive: true);

    internal Option<bool> PassphraseStdinOption { get; } = new("--passphrase-stdin")
    {
        Description = "Read the local KMS passphrase from the first line of standard input instead.",
        Recursive = true,
    };

    internal Option<string> PinEnvOption { get; } = KmsOptions.PinEnv(recursive: true);

    internal Option<string> Pkcs11ModuleOption { get; } = KmsOptions.Pkcs11Module(recursive: true);

    private static Option<bool> CreateKekOption() => new("--create-kek")
    {
        Description = "Create the key-encryption key first: a new local key file, or an AES-256 key generated inside the token as non-extractable.",
    };

    private static Option<float?> BetaOption() => new("--beta")
    {
        Description = "The approximation factor β of a new vector path (larger: more noise, more privacy, less accurate search).",
    };

    private static Option<bool> ScalingOption() => new("--scaling")
    {
        Description = "Use the key-derived scaling factor on a new vector path (Alloy before 0.13); default off.",
    };

    private static Option<int?> DimensionsOption() => new("--dimensions")
    {
        Description = "Fix the dimension of a new vector path: vectors of any other length are refused by every operation (recorded in the keyset, authenticated).",
    };

    private static Option<float?> MaxNormOption() => new("--max-norm")
    {
        Description = "Refuse vector inputs of a new vector path whose L2 norm exceeds this (1.001 for normalised embeddings): a large-norm input reveals the key's permutation. Recorded in the keyset; veil serve applies 1.001 when it is not set.",
    };

    private static Option<uint?> IdOption(bool required) => new("--id")
    {
        Description = required ? "The key id of the secret." : "The key id of the new secret (default: one more than the largest in the section).",
        Required = required,
    };

    private Command CreateCommand()
    {
        var vector = new Option<string[]>("--vector") { Description = "A vector secret path to create (repeatable)." };
        var deterministic = new Option<string[]>("--deterministic") { Description = "A deterministic-field secret path to create (repeatable)." };
        var standard = new Option<bool>("--standard") { Description = "Create a standard-document secret." };
        Option<float?> beta = BetaOption();
        Option<bool> scaling = ScalingOption();
        Option<int?> dimensions = DimensionsOption();
        Option<float?> maxNorm = MaxNormOption();
        Option<bool> createKek = CreateKekOption();
        var command = new Command("create", "Create a new keyset file with a current secret for each given path (the file must not exist).")
        {
            vector, beta, scaling, dimensions, maxNorm, deterministic, standard, createKek,
        };
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            string[] vectorPaths = parseResult.GetValue(vector) ?? [];
            string[] deterministicPaths = parseResult.GetValue(deterministic) ?? [];
            bool withStandard = parseResult.GetValue(standard);
            if (vectorPaths.Length + deterministicPaths.Length == 0 && !withStandard)
            {
                throw new CliUsageException("keys create: give at least one of --vector <path>, --deterministic <path> or --standard.");
            }

            if (vectorPaths.Length > 0 && parseResult.GetValue(beta) is null)
            {
                throw new CliUsageException("keys create: vector paths need --beta.");
            }

            string kmsUri = parseResult.GetValue(KmsOption) ?? throw new CliUsageException("keys create: --kms is required.");
            var settings = new VectorSecretSettings(parseResult.GetValue(beta), parseResult.GetValue(scaling), parseResult.GetValue(dimensions), parseResult.GetValue(maxNorm));
            IReadOnlyList<KeysetSecretInfo> added = await KeysetEditor.CreateAsync(
                parseResult.GetValue(KeysetOption)!, kmsUri, Kms(parseResult), parseResult.GetValue(createKek), vectorPaths, settings, deterministicPaths, withStandard, cancellationToken).ConfigureAwait(false);
            WriteInfos(added);
            _console.Error.WriteLine($"keys: created {parseResult.GetValue(KeysetOption)} with {added.Count} secret(s) wrapped by {KmsSelection.Display(kmsUri)}.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command AddCommand()
    {
        Section section = new();
        Option<float?> beta = BetaOption();
        Option<bool> scaling = ScalingOption();
        Option<int?> dimensions = DimensionsOption();
        Option<float?> maxNorm = MaxNormOption();
        Option<uint?> id = IdOption(required: false);
        var command = new Command("add", "Add a new secret to a path: pending (decrypt-only) until promoted; on a new path it is current at once. Needs the KMS.");
        section.AddTo(command);
        command.Options.Add(beta);
        command.Options.Add(scaling);
        command.Options.Add(dimensions);
        command.Options.Add(maxNorm);
        command.Options.Add(id);
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            KmsSelection kms = Kms(parseResult);
            KeyId? keyId = parseResult.GetValue(id) is { } value ? new KeyId(value) : null;
            (KeysetSection which, SecretPath path) = section.Get(parseResult);
            var settings = new VectorSecretSettings(parseResult.GetValue(beta), parseResult.GetValue(scaling) ? true : null, parseResult.GetValue(dimensions), parseResult.GetValue(maxNorm));
            KeysetSecretInfo info = await KeysetEditor.AddAsync(parseResult.GetValue(KeysetOption)!, kms, which, path, settings, keyId, parseResult.GetValue(KmsOption), cancellationToken).ConfigureAwait(false);
            WriteInfos([info]);
            _console.Error.WriteLine(info.State == KeysetSecretState.Pending
                ? $"keys: added secret {info.Id} as pending; deploy the keyset everywhere, then run 'veil keys promote --id {info.Id}'."
                : $"keys: added secret {info.Id} as current of a new path.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command PromoteCommand()
    {
        Section section = new();
        Option<uint?> id = IdOption(required: true);
        var command = new Command("promote", "Make a secret current: a pending secret becomes current and the old current one goes in rotation (it still decrypts and is queried). Promoting the in-rotation secret rolls back. Needs the KMS (to check and renew the keyset's authentication tag).");
        section.AddTo(command);
        command.Options.Add(id);
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            KmsSelection kms = Kms(parseResult);
            (KeysetSection which, SecretPath path) = section.Get(parseResult);
            var keyId = new KeyId(parseResult.GetValue(id)!.Value);
            KeysetSecretInfo info = await KeysetEditor.PromoteAsync(parseResult.GetValue(KeysetOption)!, kms, which, path, keyId, cancellationToken).ConfigureAwait(false);
            WriteInfos([info]);
            _console.Error.WriteLine($"keys: secret {keyId} is current; re-encrypt data still under the in-rotation secret, then retire it.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command RetireCommand()
    {
        Section section = new();
        Option<uint?> id = IdOption(required: true);
        var store = new Option<string>("--store")
        {
            Description = "A store (duckdb:PATH or postgres:\"CONNECTION STRING\", as in veil ingest) to check first: retire refuses while its collections still hold rows encrypted with the secret.",
        };
        var collection = new Option<string>("--collection") { Description = "With --store: the collection to check (default: every collection veil created in the store)." };
        var force = new Option<bool>("--force") { Description = "With --store: retire even though rows are still encrypted with the secret (they can no longer be decrypted)." };
        var command = new Command("retire", "Retire a secret (in rotation or pending) once its data is re-encrypted: it stays wrapped in the file but is never loaded again. With --store, refuses while the store still holds rows under it. Needs the KMS (to check and renew the keyset's authentication tag).")
        {
            store, collection, force,
        };
        section.AddTo(command);
        command.Options.Add(id);
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            KmsSelection kms = Kms(parseResult);
            (KeysetSection which, SecretPath path) = section.Get(parseResult);
            var keyId = new KeyId(parseResult.GetValue(id)!.Value);
            if (parseResult.GetValue(store) is { } storeValue)
            {
                StoreLocation location = StoreLocation.Parse(storeValue);
                IReadOnlyList<CollectionRows> rows = await KeyUsage.CountAsync(location, parseResult.GetValue(collection), which, path, keyId, cancellationToken).ConfigureAwait(false);
                if (rows.Count > 0 && !parseResult.GetValue(force))
                {
                    throw new CliUsageException(RetireRefusal(rows, location, keyId));
                }

                _console.Error.WriteLine(rows.Count == 0
                    ? $"keys: no rows of {location} are encrypted with secret {keyId}."
                    : $"warning: --force: {rows.Sum(r => r.Rows)} row(s) of {location} are still encrypted with secret {keyId}; once it is retired they can no longer be decrypted.");
            }
            else
            {
                _console.Error.WriteLine($"warning: data still encrypted with secret {keyId} can no longer be decrypted once it is retired; give --store (and --collection) to have veil count such rows first.");
            }

            KeysetSecretInfo info = await KeysetEditor.RetireAsync(parseResult.GetValue(KeysetOption)!, kms, which, path, keyId, cancellationToken).ConfigureAwait(false);
            WriteInfos([info]);
            _console.Error.WriteLine($"keys: secret {keyId} is retired.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command ListCommand()
    {
        var json = new Option<bool>("--json") { Description = "One JSON object per secret instead of a table." };
        var command = new Command("list", "List the secrets' metadata (section, path, id, state, β, creation time, KEK URI); never key material. No KMS access, so not authenticated (check verifies).") { json };
        SetAction(command, parseResult =>
        {
            Keyset keyset = KeysetFile.Load(parseResult.GetValue(KeysetOption)!);
            if (parseResult.GetValue(json))
            {
                WriteInfos(keyset.List());
                return ExitCodes.Success;
            }

            TextWriter o = _console.Output;
            o.WriteLine($"{"section",-14}{"path",-20}{"id",12}  {"state",-11}{"beta",8}  {"scaling",-8}{"created",-22}kek");
            foreach (KeysetSecretInfo s in keyset.List())
            {
                string beta = s.ApproximationFactor?.ToString(CultureInfo.InvariantCulture) ?? "-";
                string scaling = s.UseScalingFactor is { } u ? (u ? "yes" : "no") : "-";
                o.WriteLine($"{KeysetNames.Of(s.Section),-14}{Quote(s),-20}{s.Id,12}  {KeysetNames.Of(s.State),-11}{beta,8}  {scaling,-8}{KeysetNames.Time(s.CreatedAt),-22}{KmsSelection.Display(s.KekUri)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private Command ExportPublicInfoCommand()
    {
        var command = new Command("export-public-info", "Write the keyset's public metadata as one JSON document (for audits and inventories): no wrapped or cleartext key material. No KMS access, so not authenticated (check verifies).");
        SetAction(command, parseResult =>
        {
            _console.Output.WriteLine(KeysetInfoJson.PublicInfo(KeysetFile.Load(parseResult.GetValue(KeysetOption)!)));
            return ExitCodes.Success;
        });
        return command;
    }

    private Command CheckCommand()
    {
        var command = new Command("check", "Unwrap every live secret through the KMS (then zero it) to prove the keyset opens: exit 3 if a wrapped secret was altered.");
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            (int live, int retired) = await KeysetEditor.CheckAsync(parseResult.GetValue(KeysetOption)!, Kms(parseResult), cancellationToken).ConfigureAwait(false);
            _console.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"live\":{live},\"retired\":{retired}}}"));

            return ExitCodes.Success;
        });
        return command;
    }

    private Command ImportCommand()
    {
        var config = new Option<string>("--config") { Description = "The cleartext configuration file to import (the --config format of the other commands).", Required = true };
        Option<bool> createKek = CreateKekOption();
        var command = new Command(
            "import-insecure-cleartext",
            "INSECURE migration: wrap the secrets of a cleartext --config file into a new keyset. The cleartext file has exposed its secrets; delete it and plan a rotation to secrets generated by 'keys add'.")
        {
            config, createKek,
        };
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            string kmsUri = parseResult.GetValue(KmsOption) ?? throw new CliUsageException("keys import-insecure-cleartext: --kms is required.");
            KmsSelection kms = Kms(parseResult);
            VeilConfiguration configuration = ConfigurationLoader.Load(parseResult.GetValue(config)!);
            try
            {
                using IKeyEncryptionKey kek = parseResult.GetValue(createKek)
                    ? await kms.CreateKeyAsync(kmsUri, cancellationToken).ConfigureAwait(false)
                    : await kms.GetKeyAsync(kmsUri, cancellationToken).ConfigureAwait(false);
                Keyset keyset = await InsecureCleartextKeyset.ImportAsync(configuration, kek, cancellationToken).ConfigureAwait(false);
                KeysetFile.Create(keyset, parseResult.GetValue(KeysetOption)!);
                WriteInfos(keyset.List());
            }
            finally
            {
                ConfigFile.DisposeSecrets(configuration);
            }

            _console.Error.WriteLine("warning: the imported secrets existed in cleartext; delete the cleartext file and rotate to secrets generated by 'veil keys add'.");
            return ExitCodes.Success;
        });
        return command;
    }

    private Command UpgradeCommand()
    {
        var command = new Command(
            "upgrade",
            $"Upgrade a '{Keyset.Version1FormatName}' keyset (unauthenticated states) to '{Keyset.FormatName}': check its states with 'list' first; this adds an integrity key wrapped by the keyset's kekUri and an authentication tag, after unwrapping every live secret once.");
        SetAction(command, async (parseResult, cancellationToken) =>
        {
            string file = parseResult.GetValue(KeysetOption)!;
            KmsSelection kms = Kms(parseResult);
            IReadOnlyList<KeysetSecretInfo> secrets = await KeysetFile.UpdateAsync(
                file,
                (keyset, _) => Task.FromResult(keyset.List()),
                (json, ct) => Keyset.UpgradeFromVersion1Async(json, kms, ct),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            WriteInfos(secrets);
            _console.Error.WriteLine($"keys: {file} is now '{Keyset.FormatName}'; its states and secrets are authenticated from here on.");
            return ExitCodes.Success;
        });
        return command;
    }

    private KmsSelection Kms(ParseResult parseResult) => new(
        _console.Input,
        new KmsSettings(
            parseResult.GetValue(PassphraseEnvOption)!,
            parseResult.GetValue(PassphraseStdinOption),
            parseResult.GetValue(PinEnvOption)!,
            parseResult.GetValue(Pkcs11ModuleOption),
            LocalOptionsForTests,
            KmsSettings.DirectoryOf(parseResult.GetValue(KeysetOption)!)));

    /// <summary>The refusal to retire a secret when rows are left: how many, where, and how to re-encrypt them.</summary>
    private static string RetireRefusal(IReadOnlyList<CollectionRows> rows, StoreLocation location, KeyId id) =>
        $"retire refused: {rows.Sum(r => r.Rows)} row(s) of {location} are still encrypted with secret {id} "
        + $"({string.Join(", ", rows.Select(r => $"collection \"{r.Collection}\": {r.Rows}"))}); retiring it would make them undecryptable. "
        + $"Re-encrypt them first with 'veil rotate --store {location} --collection <name>' (after promoting a new secret), or retire anyway with --force.";

    /// <summary>Argon2id costs for key files created by <c>--create-kek</c>; tests lower them, the CLI keeps the defaults.</summary>
    internal static Kms.LocalFile.LocalFileKmsOptions? LocalOptionsForTests { get; set; }

    private void SetAction(Command command, Func<ParseResult, int> action) =>
        SetAction(command, (parseResult, _) => Task.FromResult(action(parseResult)));

    private void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (UsageErrors.Is(e) || e is FormatException or ArgumentException or InvalidOperationException)
            {
                _console.Error.WriteLine($"keys: {e.Message}");
                return ExitCodes.InvalidOptions;
            }
            catch (KeyNotAvailableException e) when (e.InnerException is CryptographicException and not KeyNotAvailableException)
            {
                _console.Error.WriteLine($"keys: {e.Message}");
                return ExitCodes.IntegrityFailure;
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                _console.Error.WriteLine($"keys: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (VectorStoreException e)
            {
                _console.Error.WriteLine($"keys: the store failed: {e.Message}");
                return ExitCodes.Failed;
            }
        });

    private void WriteInfos(IEnumerable<KeysetSecretInfo> infos)
    {
        foreach (KeysetSecretInfo info in infos)
        {
            _console.Output.WriteLine(KeysetInfoJson.Secret(info));
        }
    }

    private static string Quote(KeysetSecretInfo info) => info.Section == KeysetSection.Standard ? "-" : "\"" + info.Path.Value + "\"";

    /// <summary>The --vector / --deterministic / --standard choice of add, promote and retire: exactly one.</summary>
    private sealed class Section
    {
        private readonly Option<string> _vector = new("--vector") { Description = "The vector secret path." };
        private readonly Option<string> _deterministic = new("--deterministic") { Description = "The deterministic-field secret path." };
        private readonly Option<bool> _standard = new("--standard") { Description = "The standard-document secrets." };

        public void AddTo(Command command)
        {
            command.Options.Add(_vector);
            command.Options.Add(_deterministic);
            command.Options.Add(_standard);
        }

        public (KeysetSection Section, SecretPath Path) Get(ParseResult parseResult)
        {
            string? vector = parseResult.GetValue(_vector);
            string? deterministic = parseResult.GetValue(_deterministic);
            bool standard = parseResult.GetValue(_standard);
            int given = (vector is null ? 0 : 1) + (deterministic is null ? 0 : 1) + (standard ? 1 : 0);
            if (given != 1)
            {
                throw new CliUsageException("Give exactly one of --vector <path>, --deterministic <path> or --standard.");
            }

            return vector is not null ? (KeysetSection.Vector, new SecretPath(vector))
                : deterministic is not null ? (KeysetSection.Deterministic, new SecretPath(deterministic))
                : (KeysetSection.Standard, new SecretPath(string.Empty));
        }
    }
}
