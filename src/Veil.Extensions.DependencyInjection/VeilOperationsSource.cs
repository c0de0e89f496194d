using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.VectorData;
using Veil.Configuration;
using Veil.Extensions.AI;
using Veil.Extensions.VectorData;
using Veil.Sealed;
using Veil.Service.Client;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// The one owner of what <c>AddVeil</c> registers: the loaded keys and their client (local keys), or the HTTP client
/// of the key service. Internal, so nothing outside this assembly resolves it; what the application resolves is
/// <see cref="IVeilOperations"/>, which uses keys without handing them out. Disposed with the service provider
/// (the keys are zeroed then).
/// </summary>
internal sealed partial class VeilOperationsSource : IDisposable
{
    private readonly LoadedVeilKeys? _keys;
    private readonly VeilClient? _client;
    private readonly HttpClient? _http;

    public VeilOperationsSource(IOptions<VeilOptions> options, ILoggerFactory? loggerFactory = null)
    {
        VeilOptions settings = options.Value;
        ILogger logger = loggerFactory?.CreateLogger("Veil.Extensions.DependencyInjection") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (settings.ServiceUrl is { } url)
        {
            _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/"),
                Timeout = settings.ServiceTimeout,
            };
            Operations = new VeilServiceClient(_http, settings.ApiKey!) { MaxItemsPerRequest = settings.MaxItemsPerRequest };
            LogKeyService(logger, _http.BaseAddress);
        }
        else
        {
            _keys = settings.Keys.Load();
            try
            {
                _client = new VeilClient(_keys.Configuration);
            }
            catch
            {
                _keys.Dispose();
                throw;
            }

            Operations = new LocalVeilOperations(_client);
            LogLocalKeys(logger, _keys.Configuration.Vector.Count, _keys.Configuration.Deterministic.Count, _keys.IsCleartextConfiguration ? "a CLEARTEXT configuration file (development only)" : "a keyset unwrapped through its KMS");
        }
    }

    public IVeilOperations Operations { get; }

    /// <summary>An encrypting decorator over <paramref name="inner"/>, with these operations (local keys keep the local-only options such as bound standard properties).</summary>
    public EncryptingVectorStoreCollection<TKey, TRecord> Encrypting<TKey, TRecord>(VectorStoreCollection<TKey, TRecord> inner, EncryptingCollectionOptions options)
        where TKey : notnull
        where TRecord : class =>
        _client is not null ? new(inner, _client, options) : new(inner, Operations, options);

    /// <summary>A sealed collection over <paramref name="inner"/>: vectors sealed, fields encrypted, with the local keys.</summary>
    /// <exception cref="InvalidOperationException">The operations go to the key service, which cannot seal.</exception>
    public SealedVectorStoreCollection<TKey, TRecord> Sealed<TKey, TRecord>(
        VectorStoreCollection<TKey, TRecord> inner, EncryptingCollectionOptions fieldOptions, ISealedIndexStorage indexStorage, SealedCollectionOptions options)
        where TKey : notnull
        where TRecord : class =>
        _client is not null
            ? new(inner, _client, fieldOptions, indexStorage, options)
            : throw new InvalidOperationException(
                "A sealed collection needs local keys (Veil:Keys): its index and vectors are sealed and searched by the key holder, which the key service (Veil:ServiceUrl) does not offer.");

    /// <summary>An encrypting embedding generator over <paramref name="inner"/>.</summary>
    public EncryptingEmbeddingGenerator EncryptingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, EncryptingEmbeddingGeneratorOptions options) =>
        new(inner, Operations, options);

    /// <inheritdoc/>
    public override string ToString() => "VeilOperationsSource (redacted)";

    public void Dispose()
    {
        // The keys are zeroed here; the operations handed out fail from now on.
        _client?.Dispose();
        _keys?.Dispose();
        _http?.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Veil: local keys loaded from {Source}: {VectorPaths} vector and {DeterministicPaths} deterministic secret paths")]
    private static partial void LogLocalKeys(ILogger logger, int vectorPaths, int deterministicPaths, string source);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Veil: operations go to the key service at {ServiceUrl}; this app holds no keys")]
    private static partial void LogKeyService(ILogger logger, Uri serviceUrl);
}
