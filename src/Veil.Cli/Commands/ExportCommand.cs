using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary><c>veil export</c>: writes every document of a collection, decrypted, as JSON Lines (the shape ingest reads).</summary>
internal sealed class ExportCommand : StoreCommand
{
    public ExportCommand(CliConsole console)
        : base(console, "export", "Write every document of the collection, decrypted, as JSON Lines {\"id\",\"category\"?,…,\"vector\"} (what veil ingest reads), ordered by id.")
    {
        this.Add(NoVectorsOption, BatchSizeOption);
    }

    internal readonly Option<bool> NoVectorsOption = new("--no-vectors") { Description = "Leave the vectors out (metadata only)." };
    internal readonly Option<int> BatchSizeOption = Opt("--batch-size", "Documents read from the store at a time.", 1000).AtLeastOne();

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        bool includeVectors = !parseResult.GetValue(NoVectorsOption);
        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        var progress = new TextProgress(Terminal.Error, "veil export", "documents", total: null);
        await foreach (VeilDocument document in store.ExportAsync(context.Collection, context.Client, context.Tenant, includeVectors, parseResult.GetValue(BatchSizeOption), cancellationToken).ConfigureAwait(false))
        {
            Terminal.Output.WriteLine(StoreJson.Document(document, includeVectors));
            progress.Advance(1);
        }

        progress.Finish($"decrypted from collection \"{context.Collection}\" of {context.Location}:");
        return ExitCodes.Success;
    }
}
