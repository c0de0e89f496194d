using Veil.Cli.Commands.OptionGroups;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil vector|field|document</c>: each subcommand runs one protocol operation (<see cref="ItemOperations"/>) over
/// JSON Lines (or, with --format binary, binary item batches) from stdin to stdout, with the keys (--config or --keyset), the tenant and, for vectors and fields, the
/// secret and derivation paths.
/// </summary>
internal sealed class PipelineCommand : VeilCommand
{
    private readonly ClientOptions _client = new();
    private readonly KeyScopeOptions _scope;
    private readonly Option<string> _newTenant = Opt<string>("--new-tenant", "Re-encrypt for this tenant instead of the --tenant the input was encrypted for.");
    private readonly Option<PipelineFormat> _format = new("--format")
    {
        Description = "jsonl (default): JSON Lines in and out. binary: length-prefixed binary item batches in and out, the key service's binary batch format with float32 vectors (docs/formats.md), for bulk work.",
        DefaultValueFactory = _ => PipelineFormat.Jsonl,
        Recursive = true,
    };

    private PipelineCommand(CliConsole console, string name, string description, bool keyed, params Step[] steps)
        : base(console, name, description)
    {
        _scope = new KeyScopeOptions(required: true, paths: keyed);
        _client.AddTo(this);
        _scope.AddTo(this);
        this.Add(_format);
        foreach (Step step in steps)
        {
            var command = new Command(step.Name, step.Description);
            command.Add([.. step.Options ?? [], .. step.Retargets ? [_newTenant] : Array.Empty<Option>()]);
            command.SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult, step.Operation(parseResult), cancellationToken)));
            Subcommands.Add(command);
        }
    }

    /// <summary><c>veil vector encrypt|decrypt|query|rotate</c>: Scale-And-Perturb vector encryption.</summary>
    public static PipelineCommand Vector(CliConsole console)
    {
        var oneWay = Opt<bool>("--one-way", "Encrypt without paired ICL info (EncryptOneWay): the output can be searched but never decrypted.");
        return new(
            console,
            "vector",
            "Scale-And-Perturb vector encryption (searchable; leaks approximate distances), JSON Lines from stdin to stdout.",
            keyed: true,
            new("encrypt", "Encrypt {\"id\",\"vector\":[…]} lines to {\"id\",\"encryptedVector\":[…],\"pairedIclInfo\":\"<base64>\"}.", p => p.GetValue(oneWay) ? ItemOperations.VectorEncryptOneWay : (IItemOperation)ItemOperations.VectorEncrypt, Options: [oneWay]),
            new("decrypt", "Decrypt {\"id\",\"encryptedVector\",\"pairedIclInfo\"} lines to {\"id\",\"vector\":[…]}.", _ => ItemOperations.VectorDecrypt),
            new("query", "Encrypt {\"id\",\"vector\"} query lines for search: {\"id\",\"queries\":[{\"keyId\",\"encryptedVector\"},…]}, one per live key, current first.", _ => ItemOperations.VectorQuery),
            new("rotate", "Re-encrypt encrypt-shaped lines with the current key (lossy: adds drift each time), optionally for --new-tenant.", _ => ItemOperations.VectorRotate, Retargets: true));
    }

    /// <summary><c>veil field encrypt|decrypt|query|rotate</c>: deterministic field encryption.</summary>
    public static PipelineCommand Field(CliConsole console) => new(
        console,
        "field",
        "Deterministic (AES-SIV) field encryption (filterable by equality; leaks equality), JSON Lines from stdin to stdout.",
        keyed: true,
        new("encrypt", "Encrypt {\"id\",\"value\":\"<base64>\"} lines deterministically to {\"id\",\"encryptedValue\":\"<base64>\"}.", _ => ItemOperations.FieldEncrypt),
        new("decrypt", "Decrypt {\"id\",\"encryptedValue\"} lines to {\"id\",\"value\"}.", _ => ItemOperations.FieldDecrypt),
        new("query", "Encrypt {\"id\",\"value\"} lines for equality filters: {\"id\",\"queries\":[{\"keyId\",\"encryptedValue\"},…]}, one per live key, current first.", _ => ItemOperations.FieldQuery),
        new("rotate", "Re-encrypt {\"id\",\"encryptedValue\"} lines with the current key, optionally for --new-tenant.", _ => ItemOperations.FieldRotate, Retargets: true));

    /// <summary><c>veil document encrypt|decrypt|rekey</c>: standard (AES-256-GCM, randomised) document encryption.</summary>
    public static PipelineCommand Document(CliConsole console) => new(
        console,
        "document",
        "Standard (AES-256-GCM, randomised) document encryption with a per-document data key, JSON Lines from stdin to stdout.",
        keyed: false,
        new("encrypt", "Encrypt {\"id\",\"fields\":{\"name\":\"<base64>\"}} lines to {\"id\",\"edek\":\"<base64>\",\"fields\":{…}}.", _ => ItemOperations.DocumentEncrypt),
        new("decrypt", "Decrypt {\"id\",\"edek\",\"fields\"} lines to {\"id\",\"fields\"}.", _ => ItemOperations.DocumentDecrypt),
        new("rekey", "Re-wrap {\"id\",\"edek\"} lines with the primary secret, optionally for --new-tenant: {\"id\",\"edek\"}.", _ => ItemOperations.DocumentRekey, Retargets: true));

    /// <summary>
    /// Loads the keys, checks they serve <paramref name="operation"/> in the scope, and runs it from stdin to stdout
    /// (<see cref="ItemPipeline"/>); the most severe item failure decides the exit code. A binary frame that does not
    /// read stops the run with a message and <see cref="ExitCodes.Failed"/>.
    /// </summary>
    private int Run(ParseResult parseResult, IItemOperation operation, CancellationToken cancellationToken)
    {
        OperationScope scope = _scope.Read(parseResult, parseResult.GetValue(_newTenant) is { } t ? new TenantId(t) : null);
        PipelineFormat format = parseResult.GetValue(_format);
        if (format == PipelineFormat.Binary && !ItemPipeline.AreByteStreams(Terminal.Input, Terminal.Output))
        {
            throw new CliUsageException("Invalid options: --format binary needs standard input and output as byte streams.");
        }

        return _client.Run(parseResult, Terminal, configuration => operation.EnsureConfigured(configuration, scope), client =>
        {
            try
            {
                return ExitCodes.Of(ItemPipeline.Run(Terminal.Input, Terminal.Output, format, operation, client, scope, cancellationToken));
            }
            catch (InvalidDataException e)
            {
                Terminal.Error.WriteLine($"veil: invalid binary input: {e.Message}");
                return ExitCodes.Failed;
            }
        });
    }

    /// <summary>One subcommand: its name, help, operation, own options, and whether it takes --new-tenant.</summary>
    private sealed record Step(string Name, string Description, Func<ParseResult, IItemOperation> Operation, bool Retargets = false, Option[]? Options = null);
}
