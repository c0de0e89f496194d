using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Wire;
using Veil.Vectors;

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

        ServiceRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<ServiceRequest>(context.Request.Body, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await RefuseAsync(context, caller, operation, null, 0, 400, $"malformed JSON: {e.Message}").ConfigureAwait(false);
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
            null => "the body is null",
            { Tenant: null or "" } => "\"tenant\" is required",
            { Items: null } => "\"items\" is required",
            _ when request.Items.Count > options.MaxItemsPerRequest => $"at most {options.MaxItemsPerRequest} items per request",
            _ when request.Items.Any(i => i is null) => "null item",
            _ when keyed && string.IsNullOrEmpty(request.SecretPath) => "\"secretPath\" is required",
            _ when keyed && request.DerivationPath is null => "\"derivationPath\" is required",
            _ when !options.AllowHyphenatedIds => KdfInputs.Refusal(request.Tenant, request.NewTenant, keyed ? request.DerivationPath : null),
            _ => null,
        };
        int count = request?.Items?.Count ?? 0;
        if (problem is not null)
        {
            await RefuseAsync(context, caller, operation, request, count, 400, problem).ConfigureAwait(false);
            return;
        }

        string? forbidden = !ClientPolicy.Allows(caller.Tenants, request!.Tenant!) || (request.NewTenant is { } newTenant && !ClientPolicy.Allows(caller.Tenants, newTenant)) ? "forbidden: tenant"
            : keyed && !ClientPolicy.Allows(caller.SecretPaths, request.SecretPath!) ? "forbidden: secret path"
            : keyed && !ClientPolicy.Allows(caller.DerivationPaths, request.DerivationPath!) ? "forbidden: derivation path"
            : null;
        if (forbidden is not null)
        {
            await RefuseAsync(context, caller, operation, request, count, 403, forbidden).ConfigureAwait(false);
            return;
        }

        ServiceResponse response;
        IDisposable? unknownDimension = null;
        try
        {
            int? dimension = null;
            if (kind == "vector")
            {
                dimension = dimensions.Get(request.SecretPath!);

                // A path that is not configured fails as a whole below, without waiting for the first-use turn.
                if (dimension is null && client.Configuration.Vector.ContainsKey(request.SecretPath!))
                {
                    unknownDimension = await dimensions.EnterUnknownAsync(context.RequestAborted).ConfigureAwait(false);
                    dimension = dimensions.Get(request.SecretPath!) ?? request.Items!.Select(VectorLength).FirstOrDefault(l => l is not null);
                }
            }

            long floats = dimension is { } d ? (long)d * request.Items!.Count(i => VectorLength(i) == d) : 0;
            LimitDecision decision = await limits.AcquireAsync(caller, new Charge(count, floats, KeysOf(request, keyed)), context.RequestAborted).ConfigureAwait(false);
            if (decision.Reason is { } limited)
            {
                // 429: over a bucket or quota; 503: the limits could not be recorded or checked (fail closed).
                context.Response.Headers.RetryAfter = "1";
                await RejectAsync(context, caller, operation, request, count, decision.Status, limited).ConfigureAwait(false);
                return;
            }

            response = Run(operation, request, dimension);
            if (unknownDimension is not null && dimension is > 0 && response.Items.Any(i => i.Error is null) && dimensions.TryFix(request.SecretPath!, dimension.Value))
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
        int failed = response.Items.Count(i => i.Error is not null);
        if (!Audit(context, caller, operation, request, count, failed, 200, failed == 0 ? "ok" : "partial"))
        {
            metrics.Record(operation, 500, count);
            await WriteErrorAsync(context, 500, "audit log unavailable").ConfigureAwait(false);
            return;
        }

        metrics.Record(operation, 200, count);
        await context.Response.WriteAsJsonAsync(response, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The length of an item's vector or encrypted vector, or null when it has neither.</summary>
    private static int? VectorLength(ServiceItem item) => (item.Vector ?? item.EncryptedVector)?.Length;

    /// <summary>The derived keys a request uses: its tenant's (and a rotation's new tenant's) under its paths.</summary>
    private static DerivedKey[] KeysOf(ServiceRequest request, bool keyed)
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

    private ServiceResponse Run(string operation, ServiceRequest request, int? dimension)
    {
        var tenant = new TenantId(request.Tenant!);
        var secretPath = new SecretPath(request.SecretPath ?? "");
        var derivationPath = new DerivationPath(request.DerivationPath ?? "");
        TenantId? newTenant = request.NewTenant is { } n ? new TenantId(n) : default(TenantId?);
        List<ServiceItem> items = request.Items!;
        return operation switch
        {
            ServiceOperations.VectorEncrypt => Map(items, i => Sized(Need(i.Vector, "vector"), dimension), v => client.Vector.EncryptBatch(v.Select(x => (ReadOnlyMemory<float>)x).ToArray(), secretPath, derivationPath, tenant), EncryptedVectorItem),
            ServiceOperations.VectorQuery => Map(items, i => Sized(Need(i.Vector, "vector"), dimension), v => client.Vector.GenerateQueryVectorsBatch(v.Select(x => (ReadOnlyMemory<float>)x).ToArray(), secretPath, derivationPath, tenant), queries => new ServiceItem
            {
                Queries = queries.Select(q => new ServiceQuery { KeyId = q.KeyId.Value, EncryptedVector = q.Ciphertext.ToArray() }).ToList(),
            }),
            ServiceOperations.VectorDecrypt => Map(items, i => new EncryptedVector(Sized(Need(i.EncryptedVector, "encryptedVector"), dimension), Need(i.PairedIclInfo, "pairedIclInfo"), secretPath, derivationPath), v => client.Vector.DecryptBatch(v, tenant), plain => new ServiceItem { Vector = plain }),
            ServiceOperations.VectorRotate => Map(items, i => new EncryptedVector(Sized(Need(i.EncryptedVector, "encryptedVector"), dimension), Need(i.PairedIclInfo, "pairedIclInfo"), secretPath, derivationPath), v => client.Vector.RotateBatch(v, tenant, newTenant), EncryptedVectorItem),
            ServiceOperations.FieldEncrypt => Map(items, i => new PlaintextField(Need(i.Value, "value"), secretPath, derivationPath), f => client.Deterministic.EncryptDeterministicallyBatch(f, tenant), e => new ServiceItem { EncryptedValue = e.Ciphertext }),
            ServiceOperations.FieldQuery => FieldQuery(items, secretPath, derivationPath, tenant),
            ServiceOperations.FieldDecrypt => Map(items, i => new EncryptedField(Need(i.EncryptedValue, "encryptedValue"), secretPath, derivationPath), f => client.Deterministic.DecryptBatch(f, tenant), plain => new ServiceItem { Value = plain }),
            ServiceOperations.DocumentEncrypt => Map(items, i => (IReadOnlyDictionary<string, byte[]>)Need(i.Fields, "fields"), d => client.Standard.EncryptBatch(d, tenant), doc => new ServiceItem { Edek = doc.Edek, Fields = doc.Fields.ToDictionary(StringComparer.Ordinal) }),
            ServiceOperations.DocumentDecrypt => Map(items, i => new EncryptedDocument(Need(i.Edek, "edek"), Need(i.Fields, "fields")), d => client.Standard.DecryptBatch(d, tenant), fields => new ServiceItem { Fields = fields.ToDictionary(StringComparer.Ordinal) }),
            _ => throw new InvalidOperationException(operation),
        };
    }

    private ServiceResponse FieldQuery(List<ServiceItem> items, SecretPath secretPath, DerivationPath derivationPath, TenantId tenant)
    {
        if (!client.Configuration.Deterministic.TryGetValue(secretPath, out RotatableSecret? secret))
        {
            throw new ArgumentException($"The secret path '{secretPath}' is not configured for deterministic encryption.");
        }

        KeyId[] live = secret.Live.Select(s => s.Id).ToArray();
        return Map(items, i => new PlaintextField(Need(i.Value, "value"), secretPath, derivationPath), f => client.Deterministic.GenerateQueryFieldValuesBatch(f, tenant), values => new ServiceItem
        {
            // The core returns one value per live key, in the order of RotatableSecret.Live (current first).
            Queries = values.Select((v, k) => new ServiceQuery { KeyId = live[k].Value, EncryptedValue = v.Ciphertext }).ToList(),
        });
    }

    private static ServiceItem EncryptedVectorItem(EncryptedVector encrypted) =>
        new() { EncryptedVector = encrypted.Ciphertext.ToArray(), PairedIclInfo = encrypted.PairedIclInfo.ToArray() };

    /// <summary>The vector when it has the path's dimension; refused before any key work otherwise.</summary>
    private static float[] Sized(float[] vector, int? dimension) =>
        dimension is not { } d || vector.Length == d
            ? vector
            : throw new ItemFormatException($"The vector has {vector.Length} coordinates; this secret path holds {d}-dimensional vectors.");

    private static T Need<T>(T? value, string name)
        where T : class =>
        value ?? throw new ItemFormatException($"The item has no \"{name}\".");

    /// <summary>Parses each item (a bad item fails alone), runs the batch on the good ones and maps results back in order.</summary>
    private static ServiceResponse Map<TInput, TOutput>(
        List<ServiceItem> items, Func<ServiceItem, TInput> parse, Func<IReadOnlyList<TInput>, BatchResult<TOutput>> batch, Func<TOutput, ServiceItem> map)
    {
        var results = new ServiceItem[items.Count];
        var inputs = new List<TInput>(items.Count);
        var positions = new List<int>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            try
            {
                inputs.Add(parse(items[i]));
                positions.Add(i);
            }
            catch (ItemFormatException e)
            {
                results[i] = new ServiceItem { Error = e.Message };
            }
        }

        if (inputs.Count > 0)
        {
            BatchResult<TOutput> output = batch(inputs);
            for (int k = 0; k < output.Count; k++)
            {
                BatchItemResult<TOutput> item = output[k];
                results[positions[k]] = item.IsSuccess ? map(item.Value!) : new ServiceItem { Error = Describe(item.Error!) };
            }
        }

        for (int i = 0; i < items.Count; i++)
        {
            results[i].Id = items[i].Id;
        }

        return new ServiceResponse { Items = [.. results] };
    }

    /// <summary>Core exception messages never contain key bytes or plaintext; anything unexpected shows only its type.</summary>
    private static string Describe(Exception error) => error switch
    {
        System.Security.Cryptography.CryptographicException or ArgumentException or KeyNotAvailableException => error.Message,
        _ => $"unexpected error: {error.GetType().Name}",
    };

    /// <summary>A refusal (401, 403, 400): counted against the caller's refusal budget, audited and answered.</summary>
    private async Task RefuseAsync(HttpContext context, ClientPolicy? caller, string operation, ServiceRequest? request, int count, int status, string message)
    {
        throttle.Count(RefusalThrottle.Key(caller, Remote(context)));
        await RejectAsync(context, caller, operation, request, count, status, message).ConfigureAwait(false);
    }

    private async Task TooManyRefusalsAsync(HttpContext context, ClientPolicy? caller, string operation)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.RefusalInterval.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await RejectAsync(context, caller, operation, null, 0, 429, "too many refused requests: the body was not read").ConfigureAwait(false);
    }

    private async Task RejectAsync(HttpContext context, ClientPolicy? caller, string operation, ServiceRequest? request, int count, int status, string message)
    {
        metrics.Record(operation, status, count);
        Audit(context, caller, operation, request, count, count, status, message);
        await WriteErrorAsync(context, status, message).ConfigureAwait(false);
    }

    private bool Audit(HttpContext context, ClientPolicy? caller, string operation, ServiceRequest? request, int count, int failed, int status, string outcome) =>
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

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ServiceError { Error = message }, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>An item missing a required member.</summary>
internal sealed class ItemFormatException(string message) : Exception(message);
