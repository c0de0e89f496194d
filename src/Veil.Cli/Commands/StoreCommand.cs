using System.Buffers;
using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.VectorData;
using Veil.Cli.Keysets;
using Veil.Configuration;
using Veil.Documents.Store;
using Veil.Keys;

namespace Veil.Cli.Commands;

/// <summary>
/// The shape shared by <c>veil ingest</c>, <c>search</c> and <c>export</c>: a store, a collection, a configuration
/// and a tenant; one error report for every command.
/// </summary>
internal abstract class StoreCommand : Command
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected StoreCommand(CliConsole console, string name, string description)
        : base(name, description)
    {
        Terminal = console;
        this.Add(StoreOption, StoreMemoryOption, StoreThreadsOption, CollectionOption);
        Keys.AddTo(this);
        Options.Add(TenantOption);
        SetAction(RunAsync);
    }

    internal readonly Option<string> StoreOption = Opt<string>("--store", $"Where the encrypted documents live: duckdb:PATH (an embedded DuckDB file; default {StoreLocation.DefaultValue}) or postgres:\"CONNECTION STRING\" (PostgreSQL with pgvector).", StoreLocation.DefaultValue);
    internal readonly Option<string> StoreMemoryOption = CommonOptions.StoreMemory();
    internal readonly Option<int?> StoreThreadsOption = CommonOptions.StoreThreads();
    internal readonly Option<string> CollectionOption = Opt<string>("--collection", "The collection (table) name.", "documents");

    internal KeySource Keys { get; } = new(
        "The cleartext configuration file (the format of the other commands; or --keyset). Used: vector.<secret path> for embeddings, deterministic.<the same path> for \"category\", standard for every other field.",
        recursive: false);

    internal readonly Option<string> TenantOption = Opt<string>("--tenant", "The tenant whose keys encrypt (use the same one to ingest, search and export).").AsRequired();

    protected CliConsole Terminal { get; }

    /// <summary>Gets DuckDB's worker threads when --store-threads is not given; null for DuckDB's default (one per core).</summary>
    protected virtual int? DefaultDuckDbThreads => null;

    /// <summary>Runs the command with the loaded client; returns the exit code.</summary>
    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken);

    /// <summary>Writes one JSON object as a line of stdout.</summary>
    protected void WriteLine(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            write(writer);
        }

        Terminal.Output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    protected void Progress(string message) => Terminal.Error.WriteLine($"veil {Name}: {message}");

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            StoreLocation location = StoreLocation.Parse(parseResult.GetRequiredValue(StoreOption)) with
            {
                DuckDbMemoryLimit = parseResult.GetValue(StoreMemoryOption),
                DuckDbThreads = parseResult.GetValue(StoreThreadsOption) ?? DefaultDuckDbThreads,
            };
            string collection = parseResult.GetRequiredValue(CollectionOption);
            DocumentStore.ValidateName(collection);
            using LoadedVeilKeys keys = await Keys.LoadAsync(parseResult, Terminal, cancellationToken).ConfigureAwait(false);
            using var client = new VeilClient(keys.Configuration);
            var context = new StoreContext(location, collection, client, new TenantId(parseResult.GetRequiredValue(TenantOption)));
            return await ExecuteAsync(parseResult, context, cancellationToken).ConfigureAwait(false);
        }
        catch (KeysetUnavailableException e)
        {
            Terminal.Error.WriteLine($"veil {Name}: {e.Message}");
            return ExitCodes.Of(e);
        }
        catch (DocumentInputException e)
        {
            Terminal.Error.WriteLine($"veil {Name}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (CryptographicException e)
        {
            Terminal.Error.WriteLine(
                $"veil {Name}: {e.Message} Does the configuration hold the keys the collection was ingested with, for this --tenant?");
            return ExitCodes.IntegrityFailure;
        }
        catch (VectorStoreException e)
        {
            Terminal.Error.WriteLine($"veil {Name}: the store failed: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}

/// <summary>What a store command runs with.</summary>
internal sealed record StoreContext(StoreLocation Location, string Collection, VeilClient Client, TenantId Tenant);
