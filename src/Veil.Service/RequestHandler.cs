using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Service;

/// <summary>Authenticates, authorises, limits, runs and audits one request.</summary>
internal sealed class RequestHandler(
    VeilKeyServiceOptions options, VeilClient client, LimitsStore limits, VectorDimensions dimensions, LimitsSaver? saver, RefusalThrottle throttle, AuditLog audit, ServiceMetrics metrics)
{
    public async Task MetricsAsync(HttpContext context)
    {
        ClientPolicy? caller = Authenticate(context);
        string throttleKey = RefusalThrottle.Key(caller, Remote(context));
        if (throttle.IsExhausted(throttleKey))
        {
            await TooManyRefusalsAsync(context, caller, ServiceOperations.Metrics).ConfigureAwait(false);
            return;
        }

        if (caller is null || !ClientPolicy.Allows(caller.Operations, ServiceOperations.Metrics))
        {
            await RefuseAsync(context, caller, ServiceOperations.Metrics, null, 0, caller is null ? 401 : 403, caller is null ? "unauthenticated" : "forbidden: operation 'metrics'").ConfigureAwait(false);
            return;
        }

        if (!Audit(context, caller, ServiceOperations.Metrics, null, 0, 0, 200, "ok"))
        {
            await WriteErrorAsync(context, 500, "audit log unavailable").ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.WriteAsync(metrics.Render(), context.RequestAborted).ConfigureAwait(false);
    }

    public async Task HandleAsync(HttpContext context, string kind, string action)
    {
        string operation = $"{kind}.{action}";
        if (!ServiceOperations.All.Contains(operation) || operation == ServiceOperations.Metrics)
        {
            await WriteErrorAsync(context, 404, $"unknown operation '{operation}'").ConfigureAwait(false);
            return;
        }

        // Everything that can be decided without the body is decided before it is read: a caller that has used up its
        // refusals, an unknown key, a forbidden operation or an empty bucket costs no parsing.
        ClientPolicy? caller = Authenticate(context);
        if (throttle.IsExhausted(RefusalThrottle.Key(caller, Remote(context))))
        {
            await TooManyRefusalsAsync(context, caller, operation).ConfigureAwait(false);
            return;
        }

        if (caller is null)
        {
            await RefuseAsync(context, null, operation, null, 0, 401, "unauthenticated").ConfigureAwait(false);
            return;
        }

        if (!ClientPolicy.Allows(caller.Operations, operation))
        {
            await RefuseAsync(context, caller, operation, null, 0, 403, $"forbidden: operation '{operation}'").ConfigureAwait(false);
            return;
        }

        if (limits.RefusalBeforeBody(caller, kind == "vector") is { } empty)
        {
            context.Response.Headers.RetryAfter = "1";
            await RejectAsync(context, caller, operation, null, 0, 429, empty).ConfigureAwait(false);
            return;
        }

        IItemOperation itemOperation = ItemOperations.ByName[operation];
        bool binary = BinaryBatch.IsContentType(context.Request.ContentType);
        BatchRequest request;
        try
        {
            request = await ReadRequestAsync(context, itemOperation.RequestMembers, binary).ConfigureAwait(false);
        }
        catch (ItemFormatException e)
        {
            await RefuseAsync(context, caller, operation, null, 0, 400, e.Message).ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's body size limit (413) and malformed framing both end here.
            await RefuseAsync(context, caller, operation, null, 0, 400, $"bad request: {e.Message}").ConfigureAwait(false);
            return;
        }

        bool keyed = kind != "document";
        string? problem = request switch
        {
            { Tenant: null or "" } => "\"tenant\" is required",
            { Items: null } => "\"items\" is required",
            _ when request.Items.Count > options.MaxItemsPerRequest => $"at most {options.MaxItemsPerRequest} items per request",
            _ when keyed && string.IsNullOrEmpty(request.SecretPath) => "\"secretPath\" is required",
            _ when keyed && request.DerivationPath is null => "\"derivationPath\" is required",
            _ when !options.AllowHyphenatedIds => KdfInputs.Refusal(request.Tenant, request.NewTenant, keyed ? request.DerivationPath : null),
            _ => null,
        };
        int count = request.Items?.Count ?? 0;
        if (problem is not null)
        {
            await RefuseAsync(context, caller, operation, request, count, 400, problem).ConfigureAwait(false);
            return;
        }

        string? forbidden = !ClientPolicy.Allows(caller.Tenants, request.Tenant!) || (request.NewTenant is { } newTenant && !ClientPolicy.Allows(caller.Tenants, newTenant)) ? "forbidden: tenant"
            : keyed && !ClientPolicy.Allows(caller.SecretPaths, request.SecretPath!) ? "forbidden: secret path"
            : keyed && !ClientPolicy.Allows(caller.DerivationPaths, request.DerivationPath!) ? "forbidden: derivation path"
            : null;
        if (forbidden is not null)
        {
            await RefuseAsync(context, caller, operation, request, count, 403, forbidden).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<ProtocolItem> response;
        IDisposable? unknownDimension = null;
        try
        {
            int? dimension = null;
            if (kind == "vector")
            {
                dimension = dimensions.Get(request.SecretPath!);

                // A path that is not configured fails as a whole below, without waiting for the first-use turn.
                if (dimension is null && client.Configuration.Vector.ContainsKey(new SecretPath(request.SecretPath!)))
                {
                    unknownDimension = await dimensions.EnterUnknownAsync(context.RequestAborted).ConfigureAwait(false);
                    dimension = dimensions.Get(request.SecretPath!) ?? request.Items!.Select(ItemOperations.VectorLength).FirstOrDefault(l => l is not null);
                }
            }

            long floats = dimension is { } d ? (long)d * request.Items!.Count(i => ItemOperations.VectorLength(i) == d) : 0;
            LimitDecision decision = await limits.AcquireAsync(caller, new Charge(count, floats, KeysOf(request, keyed)), context.RequestAborted).ConfigureAwait(false);
            if (decision.Reason is { } limited)
            {
                // 429: over a bucket or quota; 503: the limits could not be recorded or checked (fail closed).
                context.Response.Headers.RetryAfter = "1";
                await RejectAsync(context, caller, operation, request, count, decision.Status, limited).ConfigureAwait(false);
                return;
            }

            response = Run(itemOperation, request, dimension);
            if (unknownDimension is not null && dimension is > 0 && response.Any(i => i.Error is null) && dimensions.TryFix(request.SecretPath!, dimension.Value))
            {
                // Recorded before answering when possible; the periodic save retries otherwise.
                TrySave();
            }
        }
        catch (ArgumentException e)
        {
            // Whole-batch failures such as a secret path missing from the configuration.
            await RejectAsync(context, caller, operation, request, count, 400, e.Message).ConfigureAwait(false);
            return;
        }
#pragma warning disable CA1031 // Anything else is audited as a 500 (type only: messages could carry request data) and the service carries on.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            await RejectAsync(context, caller, operation, request, count, 500, $"internal error: {e.GetType().Name}").ConfigureAwait(false);
            return;
        }
        finally
        {
            unknownDimension?.Dispose();
        }

        // The audit line is the outcome the caller sees: written before the result is sent, and no result without it.
        int failed = response.Count(i => i.Error is not null);
        if (!Audit(context, caller, operation, request, count, failed, 200, failed == 0 ? "ok" : "partial"))
        {
            metrics.Record(operation, 500, count);
            await WriteErrorAsync(context, 500, "audit log unavailable").ConfigureAwait(false);
            return;
        }

        metrics.Record(operation, 200, count);
        if (binary)
        {
            // Answered in the format asked in (errors above stay JSON).
            await WriteBodyAsync(context, 200, BinaryBatch.ContentType, body => BinaryBatch.WriteResponse(body, response), ResponseCapacity(context)).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, 200, writer => ProtocolJson.WriteResponse(writer, response), ResponseCapacity(context)).ConfigureAwait(false);
    }

    /// <summary>A first guess at an answer's size: about its request's (vectors in, vectors out), at most 1 MiB.</summary>
    private static int ResponseCapacity(HttpContext context) => (int)Math.Clamp(context.Request.ContentLength ?? 0, 0, 1 << 20);

    /// <summary>
    /// Reads the whole body (Kestrel bounds its size) and parses it, as JSON or as a binary batch
    /// (<see cref="BinaryBatch.ContentType"/>), with the operation's request members.
    /// </summary>
    private static async Task<BatchRequest> ReadRequestAsync(HttpContext context, ItemMembers members, bool binary)
    {
        // Into one pooled buffer, sized from Content-Length (trusted only up to 1 MiB before bytes arrive), doubled as
        // needed; cleared before it goes back, since it holds plaintext.
        using PooledBufferWriter body = await PooledBufferWriter.ReadFromAsync(
            context.Request.Body, context.Request.ContentLength, initialCapacityLimit: 1 << 20, maxLength: long.MaxValue, context.RequestAborted).ConfigureAwait(false);
        return binary ? BinaryBatch.ReadRequest(body.WrittenSpan, members) : ProtocolJson.ReadRequest(body.WrittenSpan, members);
    }

    /// <summary>
    /// Answers with a body <paramref name="write"/> produces: written into one pooled buffer, then sent with its
    /// Content-Length (no chunked framing for the client to undo) and the buffer cleared, since it may hold plaintext.
    /// </summary>
    private static async Task WriteBodyAsync(HttpContext context, int status, string contentType, Action<IBufferWriter<byte>> write, int capacity = 0)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        using var body = new PooledBufferWriter(capacity);
        write(body);
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write, int capacity = 0) =>
        WriteBodyAsync(
            context,
            status,
            "application/json; charset=utf-8",
            body =>
            {
                using var writer = new Utf8JsonWriter(body, ProtocolJson.WriterOptions);
                write(writer);
            },
            capacity);

    /// <summary>The derived keys a request uses: its tenant's (and a rotation's new tenant's) under its paths.</summary>
    private static DerivedKey[] KeysOf(BatchRequest request, bool keyed)
    {
        string secretPath = keyed ? request.SecretPath! : "";
        string derivationPath = keyed ? request.DerivationPath! : "";
        var key = new DerivedKey(request.Tenant!, secretPath, derivationPath);
        return request.NewTenant is { } newTenant && newTenant != request.Tenant ? [key, key with { Tenant = newTenant }] : [key];
    }

    /// <summary>Saves the limits state now, when there is a file for it; false when that failed.</summary>
    private bool TrySave() => saver?.TrySaveNow() ?? true;

    private static string? Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private ClientPolicy? Authenticate(HttpContext context)
    {
        string? key = context.Request.Headers["X-Api-Key"].FirstOrDefault();
        if (key is null && context.Request.Headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        return options.Clients!.Authenticate(key);
    }

    private IReadOnlyList<ProtocolItem> Run(IItemOperation operation, BatchRequest request, int? dimension)
    {
        var scope = new OperationScope(
            new TenantId(request.Tenant!),
            new SecretPath(request.SecretPath ?? ""),
            new DerivationPath(request.DerivationPath ?? ""),
            request.NewTenant is { } n ? new TenantId(n) : default(TenantId?),
            dimension);
        return operation.Process(client, request.Items!, scope);
    }

    /// <summary>A refusal (401, 403, 400): counted against the caller's refusal budget, audited and answered.</summary>
    private async Task RefuseAsync(HttpContext context, ClientPolicy? caller, string operation, BatchRequest? request, int count, int status, string message)
    {
        throttle.Count(RefusalThrottle.Key(caller, Remote(context)));
        await RejectAsync(context, caller, operation, request, count, status, message).ConfigureAwait(false);
    }

    private async Task TooManyRefusalsAsync(HttpContext context, ClientPolicy? caller, string operation)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.RefusalInterval.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RejectAsync(context, caller, operation, null, 0, 429, "too many refused requests: the body was not read").ConfigureAwait(false);
    }

    private async Task RejectAsync(HttpContext context, ClientPolicy? caller, string operation, BatchRequest? request, int count, int status, string message)
    {
        metrics.Record(operation, status, count);
        Audit(context, caller, operation, request, count, count, status, message);
        await WriteErrorAsync(context, status, message).ConfigureAwait(false);
    }

    private bool Audit(HttpContext context, ClientPolicy? caller, string operation, BatchRequest? request, int count, int failed, int status, string outcome) =>
        audit.TryWrite(new AuditEntry(
            options.TimeProvider.GetUtcNow(),
            caller?.Name,
            operation,
            request?.Tenant,
            request?.NewTenant,
            request?.SecretPath,
            request?.DerivationPath,
            count,
            failed,
            status,
            outcome,
            Remote(context)));

    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, writer => ProtocolJson.WriteError(writer, message));
}
