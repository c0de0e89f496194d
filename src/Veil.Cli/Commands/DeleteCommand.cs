using System.Globalization;
using Veil.Documents.Store;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil delete</c>: deletes documents of a collection by id (<c>--id</c>, repeatable, and/or <c>--ids-from</c> a
/// JSON Lines file of <c>{"id"}</c> objects, such as export's output), for the collection's tenant only. All ids are
/// read before anything is deleted. A JSON summary on stdout.
/// </summary>
internal sealed class DeleteCommand : StoreCommand
{
    public DeleteCommand(CliConsole console)
        : base(console, "delete", "Delete the collection's documents with the given ids (--id, repeatable, and/or --ids-from a JSON Lines file of {\"id\"} objects); ids the collection lacks are skipped. Writes {\"requested\",\"deleted\"}.")
    {
        this.Add(IdOption, IdsFromOption);
    }

    internal readonly Option<string[]> IdOption = new("--id") { Description = "The id of a document to delete (repeatable)." };
    internal readonly Option<string> IdsFromOption = new("--ids-from") { Description = "A JSON Lines file whose lines are objects with an \"id\" (other fields are ignored; '-' for stdin)." };

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, StoreContext context, CancellationToken cancellationToken)
    {
        var ids = new List<string>(parseResult.GetValue(IdOption) ?? []);
        if (parseResult.GetValue(IdsFromOption) is { } path)
        {
            ids.AddRange(path == "-" ? DocumentIds.ReadJsonLines(Terminal.Input, "stdin") : DocumentIds.ReadJsonLines(path));
        }

        if (ids.Count == 0)
        {
            throw new CliUsageException("Invalid options: give the ids to delete with --id and/or --ids-from.");
        }

        using DocumentStore store = DocumentStore.Open(context.Location, mustExist: true);
        long deleted = await store.DeleteDocumentsAsync(context.Collection, ids, context.Client, context.Tenant, cancellationToken).ConfigureAwait(false);
        int requested = ids.Distinct(StringComparer.Ordinal).Count();
        Terminal.Output.WriteLine(StoreJson.Deletion(requested, deleted));
        Progress(string.Create(CultureInfo.InvariantCulture, $"{deleted} of {requested} documents deleted from collection \"{context.Collection}\" of {context.Location}."));
        return ExitCodes.Success;
    }
}
