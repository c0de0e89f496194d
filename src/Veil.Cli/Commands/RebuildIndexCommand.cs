using Veil.Documents.Store;
using Veil.Sealed;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil rebuild-index</c>: rebuilds a sealed collection's index from its rows when the index in the store is lost or
/// corrupt (<see cref="DocumentStore.RebuildSealedIndexAsync"/>); resumable. Progress on stderr, a JSON summary on stdout.
/// </summary>
internal sealed class RebuildIndexCommand : StoreCommand
{
    public RebuildIndexCommand(CliConsole console)
        : base(console, "rebuild-index", "Rebuild a sealed collection's index from its rows (when the index in the store is lost or corrupt): every sealed vector is opened and indexed again. Safe to re-run after a crash: it resumes.")
    {
        Options.Add(BatchSizeOption);
    }

    internal readonly Option<int> BatchSizeOption = Opt("--batch-size", "Rows read from the store at a time.", 1000).AtLeastOne();

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        var progress = new TextProgress(Terminal.Error, "veil rebuild-index", "rows", total: null);
        SealedRebuildSummary summary = await store.RebuildSealedIndexAsync(context.Collection, context.Client, context.Tenant, parseResult.GetValue(BatchSizeOption), progress, cancellationToken).ConfigureAwait(false);
        progress.Finish("scanned");
        Terminal.Output.WriteLine(StoreJson.Rebuild(summary));
        Progress($"{summary.Indexed} rows indexed, {summary.Failed} failed{(summary.Failed == 0 ? "." : " (their sealed vectors did not authenticate; left out of the index).")}");
        return summary.Failed == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
