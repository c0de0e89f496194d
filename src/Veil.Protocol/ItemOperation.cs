using Veil.Keys;

namespace Veil.Protocol;

/// <summary>What every item of a batch shares: the tenant, the paths and, for vectors, the expected dimension.</summary>
/// <param name="Tenant">The tenant whose keys are used.</param>
/// <param name="SecretPath">The secret path (vector and field operations; empty for documents).</param>
/// <param name="DerivationPath">The derivation path (vector and field operations; empty for documents).</param>
/// <param name="NewTenant">Rotate and rekey only: the tenant to re-encrypt for, or null for the same tenant.</param>
/// <param name="Dimension">When set, a vector of another length fails alone before any key work.</param>
public sealed record OperationScope(TenantId Tenant, SecretPath SecretPath, DerivationPath DerivationPath, TenantId? NewTenant = null, int? Dimension = null)
{
    /// <summary>A scope without paths, for document operations.</summary>
    public static OperationScope ForDocuments(TenantId tenant, TenantId? newTenant = null) =>
        new(tenant, new SecretPath(""), new DerivationPath(""), newTenant);
}

/// <summary>One operation of the protocol, without its input and output types (see <see cref="ItemOperation{TInput, TOutput}"/>).</summary>
public interface IItemOperation
{
    /// <summary>The operation's name, such as <c>vector.encrypt</c> (<see cref="ServiceOperations"/> lists those the key service serves).</summary>
    string Name { get; }

    /// <summary>The members a request item of this operation is read with (others are skipped unread).</summary>
    ItemMembers RequestMembers { get; }

    /// <summary>The members a result item of this operation is read with.</summary>
    ItemMembers ResultMembers { get; }

    /// <summary>
    /// The one "bad item fails alone" mapping: each item that already failed (a line that did not parse) or lacks a
    /// member fails alone; the others run as one core batch; each result, or the error its item met (mapped by
    /// <see cref="ItemError.From"/>), comes back at its item's position with the item's <c>id</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The whole batch failed, for example the secret path is not configured.</exception>
    IReadOnlyList<ProtocolItem> Process(VeilClient client, IReadOnlyList<ProtocolItem> items, OperationScope scope);

    /// <summary>
    /// <see cref="Process(VeilClient, IReadOnlyList{ProtocolItem}, OperationScope)"/> with the result vectors in
    /// <paramref name="arena"/> where the operation can put them there (the JSON Lines pipeline's chunk memory).
    /// </summary>
    internal IReadOnlyList<ProtocolItem> Process(VeilClient client, IReadOnlyList<ProtocolItem> items, OperationScope scope, VectorArena arena) =>
        Process(client, items, scope);
}

/// <summary>
/// One operation of the protocol: how its request items become core inputs and back (the key service client sends
/// them), how a batch of them runs on a <see cref="VeilClient"/>, and how results become result items and back.
/// </summary>
/// <typeparam name="TInput">The core input of one item.</typeparam>
/// <typeparam name="TOutput">The core result of one item.</typeparam>
public sealed class ItemOperation<TInput, TOutput> : IItemOperation
{
    private readonly Func<ProtocolItem, OperationScope, TInput> _readInput;
    private readonly Func<TInput, ProtocolItem> _writeInput;
    private readonly Func<VeilClient, IReadOnlyList<TInput>, OperationScope, BatchResult<TOutput>> _run;
    private readonly Func<VeilClient, OperationScope, Func<TOutput, ProtocolItem, ProtocolItem>> _resultWriter;
    private readonly Func<ProtocolItem, OperationScope, TOutput> _readOutput;
    private readonly Func<VeilClient, IReadOnlyList<TInput>, OperationScope, VectorArena, BatchResult<ProtocolItem>>? _runInArena;

    internal ItemOperation(
        string name,
        ItemMembers requestMembers,
        ItemMembers resultMembers,
        Func<ProtocolItem, OperationScope, TInput> readInput,
        Func<TInput, ProtocolItem> writeInput,
        Func<VeilClient, IReadOnlyList<TInput>, OperationScope, BatchResult<TOutput>> run,
        Func<VeilClient, OperationScope, Func<TOutput, ProtocolItem, ProtocolItem>> resultWriter,
        Func<ProtocolItem, OperationScope, TOutput> readOutput,
        Func<VeilClient, IReadOnlyList<TInput>, OperationScope, VectorArena, BatchResult<ProtocolItem>>? runInArena = null)
    {
        Name = name;
        RequestMembers = requestMembers;
        ResultMembers = resultMembers;
        _readInput = readInput;
        _writeInput = writeInput;
        _run = run;
        _resultWriter = resultWriter;
        _readOutput = readOutput;
        _runInArena = runInArena;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public ItemMembers RequestMembers { get; }

    /// <inheritdoc/>
    public ItemMembers ResultMembers { get; }

    /// <summary>The core input of a request item.</summary>
    /// <exception cref="ItemFormatException">The item lacks a member, or its vector has another dimension than the scope's.</exception>
    public TInput ReadInput(ProtocolItem item, OperationScope scope) => _readInput(item, scope);

    /// <summary>The request item of a core input (what the key service client sends).</summary>
    public ProtocolItem WriteInput(TInput input) => _writeInput(input);

    /// <summary>The core result of a successful result item (what the key service client receives).</summary>
    /// <exception cref="ItemFormatException">The item lacks a member.</exception>
    public TOutput ReadOutput(ProtocolItem item, OperationScope scope) => _readOutput(item, scope);

    /// <inheritdoc/>
    public IReadOnlyList<ProtocolItem> Process(VeilClient client, IReadOnlyList<ProtocolItem> items, OperationScope scope) =>
        Process(client, items, scope, arena: null);

    /// <inheritdoc/>
    IReadOnlyList<ProtocolItem> IItemOperation.Process(VeilClient client, IReadOnlyList<ProtocolItem> items, OperationScope scope, VectorArena arena) =>
        Process(client, items, scope, arena);

    private ProtocolItem[] Process(VeilClient client, IReadOnlyList<ProtocolItem> items, OperationScope scope, VectorArena? arena)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(scope);
        var results = new ProtocolItem[items.Count];
        var inputs = new List<TInput>(items.Count);
        var positions = new List<int>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            ProtocolItem item = items[i];
            if (item.Error is { } error)
            {
                results[i] = ProtocolItem.Failure(item.Id, new(item.ErrorCode == ItemErrorCode.None ? ItemErrorCode.InvalidInput : item.ErrorCode, error));
                continue;
            }

            try
            {
                inputs.Add(_readInput(item, scope));
                positions.Add(i);
            }
            catch (ItemFormatException e)
            {
                results[i] = ProtocolItem.Failure(item.Id, ItemError.From(e));
            }
        }

        if (inputs.Count > 0 && arena is not null && _runInArena is not null)
        {
            BatchResult<ProtocolItem> output = _runInArena(client, inputs, scope, arena);
            for (int k = 0; k < output.Count; k++)
            {
                results[positions[k]] = WithId(output[k].IsSuccess ? output[k].Value! : Failure(output[k]), items[positions[k]]);
            }
        }
        else if (inputs.Count > 0)
        {
            BatchResult<TOutput> output = _run(client, inputs, scope);
            Func<TOutput, ProtocolItem, ProtocolItem> write = _resultWriter(client, scope);
            for (int k = 0; k < output.Count; k++)
            {
                BatchItemResult<TOutput> result = output[k];
                ProtocolItem request = items[positions[k]];
                results[positions[k]] = WithId(result.IsSuccess ? write(result.Value!, request) : Failure(result), request);
            }
        }

        return results;
    }

    private static ProtocolItem Failure<T>(BatchItemResult<T> result) => ProtocolItem.Failure(null, ItemError.From(result.Error!));

    private static ProtocolItem WithId(ProtocolItem written, ProtocolItem request)
    {
        written.Id = request.Id;
        return written;
    }
}
