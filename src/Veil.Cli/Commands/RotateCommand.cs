using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil rotate</c>: re-encrypts every document of a collection that still uses an in-rotation secret (or a
/// non-primary standard secret) to the current secrets, in batches written one transaction each; resumable (a re-run
/// finds what is left by key-id prefix). Progress on stderr, a JSON summary on stdout.
/// </summary>
internal sealed class RotateCommand : StoreCommand
{
    public RotateCommand(CliConsole console)
        : base(console, "rotate", "Re-encrypt the collection's documents still made with in-rotation secrets to the current secrets, in batches (one transaction each; safe to re-run after a crash). Vectors are re-encrypted lossily; the drift is reported.")
    {
        Options.Add(BatchSizeOption);
    }

    internal readonly Option<int> BatchSizeOption = Opt("--batch-size", "Documents re-encrypted and written per transaction.", DocumentStore.DefaultRotationBatchSize).AtLeastOne();

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        var progress = new TextProgress(Terminal.Error, "veil rotate", "rows", total: null);
        RotationSummary summary = await store.RotateAsync(context.Collection, context.Client, context.Tenant, parseResult.GetValue(BatchSizeOption), progress, cancellationToken).ConfigureAwait(false);
        progress.Finish("re-encrypted or tried");

        Terminal.Output.WriteLine(StoreJson.Rotation(summary));
        Progress(summary.ToString());
        return summary.Failed == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
