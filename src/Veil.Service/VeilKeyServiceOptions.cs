using System.Security.Cryptography.X509Certificates;

namespace Veil.Service;

/// <summary>How to run the key service.</summary>
public sealed class VeilKeyServiceOptions
{
    /// <summary>The unwrapped keys. The caller keeps ownership (and disposes the secrets after the service stops).</summary>
    public required VeilConfiguration Configuration { get; init; }

    /// <summary>Who may call, and what they may do.</summary>
    public required ServiceClients Clients { get; init; }

    /// <summary>
    /// URLs to listen on (each may hold several separated by <c>;</c>); the default is loopback on a free port. Plain
    /// <c>http://</c> is refused off loopback unless <see cref="AllowRemoteHttp"/> (see <see cref="ServiceUrls"/>).
    /// </summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:0"];

    /// <summary>Allow plain <c>http://</c> on a non-loopback address (behind a TLS-terminating proxy only).</summary>
    public bool AllowRemoteHttp { get; init; }

    /// <summary>
    /// Accept tenant ids and derivation paths containing <c>-</c> (existing Alloy data). Keys derive from
    /// <c>tenant-derivationPath</c>, so then every client not allowed every tenant must list its
    /// <see cref="ClientPolicy.DerivationPaths"/>, and the service refuses to start when one of them reaches the keys of
    /// a tenant the client may not use. Off by default: such ids are refused with 400.
    /// </summary>
    public bool AllowHyphenatedIds { get; init; }

    /// <summary>
    /// The largest L2 norm of vector inputs (encrypt, query, rotate) on secret paths whose <see cref="Keys.VectorSecret.MaxNorm"/>
    /// is not set and that <see cref="MaxNorms"/> does not name: 1 + 1e-3, for normalised embeddings. A larger input
    /// would drown the noise and reveal the key's permutation in one call.
    /// </summary>
    public float DefaultMaxNorm { get; init; } = 1.001f;

    /// <summary>The largest L2 norm of vector inputs per secret path, over the configuration's and <see cref="DefaultMaxNorm"/> (for models whose embeddings are not normalised).</summary>
    public IReadOnlyDictionary<string, float> MaxNorms { get; init; } = new Dictionary<string, float>(StringComparer.Ordinal);

    /// <summary>Refusals (401, 403, 400) a client, or an unauthenticated remote address, may cause in a burst before its requests get 429 unread.</summary>
    public int RefusalBurst { get; init; } = 20;

    /// <summary>How often one more refusal is allowed once the burst is used.</summary>
    public TimeSpan RefusalInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock of rate limits, quotas and the limits state (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The TLS certificate for <c>https://</c> URLs.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Where audit lines go (null: nowhere). The caller owns the writer, which must not keep text it failed to write
    /// (<see cref="VeilKeyService.OpenAuditFile"/> opens such a writer for a file); a line that cannot be written
    /// fails its request with 500 and no result.
    /// </summary>
    public TextWriter? AuditLog { get; init; }

    /// <summary>Largest request body; larger bodies get 400.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most items in one request; more get 400.</summary>
    public int MaxItemsPerRequest { get; init; } = 1024;

    /// <summary>
    /// A file that keeps every client's rate-limit buckets and quotas, and the dimension fixed for each vector secret
    /// path, across restarts (read at start; written before answering a request that reserves more quota or fixes a
    /// dimension, every <see cref="LimitsSaveInterval"/> while something changed, and at stop); null keeps them in
    /// memory only. A crash may lose unused reserved quota, never grant more. With a shared <see cref="LimitsStore"/>
    /// the buckets and quotas live there, and this file keeps the dimensions only.
    /// </summary>
    public string? LimitsStatePath { get; init; }

    /// <summary>
    /// Where rate-limit buckets and quotas are kept and checked; null (the default) keeps them in this process (and in
    /// <see cref="LimitsStatePath"/> when given). Several instances behind a load balancer share one store (the Redis
    /// store of <c>Veil.Service.Redis</c>), so each client's limits hold across them all. The caller owns the store.
    /// </summary>
    public LimitsStore? LimitsStore { get; init; }

    /// <summary>How often the limits state is saved while it changes; a crash loses at most this much of the rate-limit buckets' accounting.</summary>
    public TimeSpan LimitsSaveInterval { get; init; } = TimeSpan.FromSeconds(1);
}
