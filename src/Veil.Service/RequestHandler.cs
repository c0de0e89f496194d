using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Veil.Documents;
using Veil.Fields;
using Veil.Keys;
using Veil.Service.Wire;
using Veil.Vectors;

namespace Veil.Service;

/// <summary>Authenticates, authorises, limits, runs and audits one request.</summary>
internal sealed class RequestHandler(VeilKeyServiceOptions options, VeilClient client, ClientLimiter limiter, AuditLog audit, ServiceMetrics metrics)
{
    public async Task MetricsAsync(HttpContext context)
    {
        ClientPolicy? caller = Authenticate(context);
        int status = caller is null ? 401 : ClientPolicy.Allows(caller.Operations, ServiceOperations.Metrics) ? 200 : 403;
        Audit(context, caller, ServiceOperations.Metrics, null, 0, 0, status, status == 200 ? "ok" : "denied");
        if (status != 200)
        {
            await WriteErrorAsync(context, status, status == 401 ? "unauthenticated" : "forbidden: operation 'metrics'").ConfigureAwait(false);
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

        ClientPolicy? caller = Authenticate(context);
        if (caller is null)
        {
            await RejectAsync(context, null, operation, null, 0, 401, "unauthenticated").ConfigureAwait(false);
            return;
        }

        // Authorise the operation before reading the body: a forbidden client learns nothing else.
        if (!ClientPolicy.Allows(caller.Operations, operation))
        {
            await RejectAsync(context, caller, operation, null, 0, 403, $"forbidden: operation '{operation}'").ConfigureAwait(false);
            return;
        }

        ServiceRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<ServiceRequest>(context.Request.Body, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            await RejectAsync(context, caller, operation, null, 0, 400, $"malformed JSON: {e.Message}").ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's body size limit (413) and malformed framing both end here.
            await RejectAsync(context, caller, operation, null, 0, 400, $"bad request: {e.Message}").ConfigureAwait(false);
            return;
        }

        string? problem = request switch
        {
            null => "the body is null",
            { Tenant: null or "" } => "\"tenant\" is required",
            { Items: null } => "\"items\" is required",
            _ when request.Items.Count > options.MaxItemsPerRequest => $"at most {options.MaxItemsPerRequest} items per request",
            _ when request.Items.Any(i => i is null) => "null item",
            _ when kind != "document" && string.IsNullOrEmpty(request.SecretPath) => "\"secretPath\" is required",
            _ when kind != "document" && request.DerivationPath is null => "\"derivationPath\" is required",
            _ => null,
        };
        int count = request?.Items?.Count ?? 0;
        if (problem is not null)
        {
            await RejectAsync(context, caller, operation, request, count, 400, problem).ConfigureAwait(false);
            return;
        }

        if (!ClientPolicy.Allows(caller.Tenants, request!.Tenant!)
            || (request.NewTenant is { } newTenant && !ClientPolicy.Allows(caller.Tenants, newTenant)))
        {
            await RejectAsync(context, caller, operation, request, count, 403, "forbidden: tenant").ConfigureAwait(false);
            return;
        }

        if (kind != "document" && !ClientPolicy.Allows(caller.SecretPaths, request.SecretPath!))
        {
            await RejectAsync(context, caller, operation, request, count, 403, "forbidden: secret path").ConfigureAwait(false);
            return;
        }

        if (limiter.TryAcquire(caller, count) is { } limited)
        {
            context.Response.Headers.RetryAfter = "1";
            await RejectAsync(context, caller, operation, request, count, 429, limited).ConfigureAwait(false);
            return;
        }

        ServiceResponse response;
        try
        {
            response = Run(operation, request);
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

        int failed = response.Items.Count(i => i.Error is not null);
        Audit(context, caller, operation, request, count, failed, 200, failed == 0 ? "ok" : "partial");
        metrics.Record(operation, 200, count);
        await context.Response.WriteAsJsonAsync(response, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
    }

    private ClientPolicy? Authenticate(HttpContext context)
    {
        string? key = context.Request.Headers["X-Api-Key"].FirstOrDefault();
        if (key is null && context.Request.Headers.Authorization.FirstOrDefault() is { } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        return options.Clients.Authenticate(key);
    }

    private ServiceResponse Run(string operation, ServiceRequest request)
    {
        var tenant = new TenantId(request.Tenant!);
        var secretPath = new SecretPath(request.SecretPath ?? "");
        var derivationPath = new DerivationPath(request.DerivationPath ?? "");
        TenantId? newTenant = request.NewTenant is { } n ? new TenantId(n) : default(TenantId?);
        List<ServiceItem> items = request.Items!;
        return operation switch
        {
            ServiceOperations.VectorEncrypt => Map(items, i => Need(i.Vector, "vector"), v => client.Vector.EncryptBatch(v.Select(x => (ReadOnlyMemory<float>)x).ToArray(), secretPath, derivationPath, tenant), EncryptedVectorItem),
            ServiceOperations.VectorQuery => Map(items, i => Need(i.Vector, "vector"), v => client.Vector.GenerateQueryVectorsBatch(v.Select(x => (ReadOnlyMemory<float>)x).ToArray(), secretPath, derivationPath, tenant), queries => new ServiceItem
            {
                Queries = queries.Select(q => new ServiceQuery { KeyId = q.KeyId.Value, EncryptedVector = q.Ciphertext.ToArray() }).ToList(),
            }),
            ServiceOperations.VectorDecrypt => Map(items, i => new EncryptedVector(Need(i.EncryptedVector, "encryptedVector"), Need(i.PairedIclInfo, "pairedIclInfo"), secretPath, derivationPath), v => client.Vector.DecryptBatch(v, tenant), plain => new ServiceItem { Vector = plain }),
            ServiceOperations.VectorRotate => Map(items, i => new EncryptedVector(Need(i.EncryptedVector, "encryptedVector"), Need(i.PairedIclInfo, "pairedIclInfo"), secretPath, derivationPath), v => client.Vector.RotateBatch(v, tenant, newTenant), EncryptedVectorItem),
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

    private async Task RejectAsync(HttpContext context, ClientPolicy? caller, string operation, ServiceRequest? request, int count, int status, string message)
    {
        Audit(context, caller, operation, request, count, count, status, message);
        await WriteErrorAsync(context, status, message).ConfigureAwait(false);
    }

    private void Audit(HttpContext context, ClientPolicy? caller, string operation, ServiceRequest? request, int count, int failed, int status, string outcome)
    {
        if (status != 200)
        {
            metrics.Record(operation, status, count);
        }

        audit.Write(new AuditEntry(
            DateTimeOffset.UtcNow,
            caller?.Name,
            operation,
            request?.Tenant,
            request?.SecretPath,
            count,
            failed,
            status,
            outcome,
            context.Connection.RemoteIpAddress?.ToString()));
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ServiceError { Error = message }, ServiceJson.Options, context.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>An item missing a required member.</summary>
internal sealed class ItemFormatException(string message) : Exception(message);
