using System.Security.Cryptography;
using Veil.Cli.Commands.OptionGroups;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// The shape shared by <c>veil ingest</c>, <c>search</c>, <c>export</c>, <c>delete</c>, <c>rotate</c> and
/// <c>rebuild-index</c>: a store and collection (<see cref="StoreLocationOptions"/>), the keys
/// (<see cref="KeySourceOptions"/>) and a tenant. Failures are reported by <see cref="ExitCodes.For"/>, except a
/// ciphertext that does not decrypt: usually the wrong keys or tenant for the collection.
/// </summary>
internal abstract class StoreCommand : VeilCommand
{
    protected StoreCommand(CliConsole console, string name, string description)
        : base(console, name, description)
    {
        Store.AddTo(this);
        Keys.AddTo(this);
        Options.Add(TenantOption);
        SetAction(RunAsync);
    }

    internal StoreLocationOptions Store { get; } = new();

    internal KeySourceOptions Keys { get; } = new(
        "The cleartext configuration file (the format of the other commands; or --keyset). Used: vector.<secret path> for embeddings, deterministic.<the same path> for \"category\", standard for every other field.",
        recursive: false);

    internal readonly Option<string> TenantOption = new("--tenant") { Description = "The tenant whose keys encrypt (use the same one to ingest, search and export).", Required = true };

    /// <summary>Gets DuckDB's worker threads when --store-threads is not given; null for DuckDB's default (one per core).</summary>
    protected virtual int? DefaultDuckDbThreads => null;

    /// <summary>Runs the command with the loaded client; returns the exit code.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken);

    protected void Progress(string message) => Terminal.Error.WriteLine($"veil {Name}: {message}");

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        StoreLocation location = Store.Location(parseResult, DefaultDuckDbThreads);
        string collection = Store.CollectionName(parseResult);
        using LoadedVeilKeys keys = await Keys.LoadAsync(parseResult, cancellationToken).ConfigureAwait(false);
        using var client = new VeilClient(keys.Configuration);
        try
        {
            return await ExecuteAsync(parseResult, new StoreContext(location, collection, client, new TenantId(parseResult.GetRequiredValue(TenantOption))), cancellationToken).ConfigureAwait(false);
        }
        catch (CryptographicException e)
        {
            Progress($"{e.Message} Does the configuration hold the keys the collection was ingested with, for this --tenant?");
            return ExitCodes.IntegrityFailure;
        }
    }
}

/// <summary>What a store command runs with.</summary>
internal sealed record StoreContext(StoreLocation Location, string Collection, VeilClient Client, TenantId Tenant);
