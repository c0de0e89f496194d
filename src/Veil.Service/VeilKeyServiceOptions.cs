using System.Security.Cryptography.X509Certificates;
using Veil.Configuration;

namespace Veil.Service;

/// <summary>
/// How to run the key service: bound from configuration (the <see cref="SectionName"/> section, with the keys from
/// <see cref="Keys"/>, the clients from <see cref="ClientsPath"/> and the audit log at <see cref="AuditLogPath"/>) or
/// set in code (<see cref="Configuration"/>, <see cref="Clients"/>, <see cref="AuditLog"/>). Checked at start-up by
/// <see cref="VeilKeyServiceOptionsValidator"/>.
/// </summary>
public sealed class VeilKeyServiceOptions
{
    /// <summary>The configuration section the options are usually bound from.</summary>
    public const string SectionName = "VeilKeyService";

    /// <summary>The unwrapped keys, in code; null: loaded from <see cref="Keys"/>. The caller keeps ownership (and disposes the secrets after the service stops).</summary>
    public VeilConfiguration? Configuration { get; set; }

    /// <summary>Where the keys are loaded from when <see cref="Configuration"/> is not set (a keyset and its KMS); the service owns and zeroes what it loads.</summary>
    public VeilKeysOptions Keys { get; set; } = new();

    /// <summary>Who may call, and what they may do, in code; null: read from <see cref="ClientsPath"/>.</summary>
    public ServiceClients? Clients { get; set; }

    /// <summary>The clients file (see <see cref="ServiceClients.Load"/>) when <see cref="Clients"/> is not set.</summary>
    public string? ClientsPath { get; set; }

    /// <summary>A file to append audit lines to (opened by the service) when <see cref="AuditLog"/> is not set; null: no audit file.</summary>
    public string? AuditLogPath { get; set; }

    /// <summary>
    /// <see cref="VeilKeyService.StartAsync(VeilKeyServiceOptions, CancellationToken)"/> only (in an app, Kestrel's own
    /// configuration binds): URLs to listen on (each may hold several separated by <c>;</c>); the default is loopback on a free port. Plain
    /// <c>http://</c> is refused off loopback unless <see cref="AllowRemoteHttp"/> (see <see cref="ServiceUrls"/>).
    /// </summary>
    public IReadOnlyList<string> Urls { get; set; } = ["http://127.0.0.1:0"];

    /// <summary>
    /// Allow plain <c>http://</c> on a non-loopback address (behind a TLS-terminating proxy only). Also checked against
    /// the addresses a host app binds: the key service refuses to start on plain http off loopback without it.
    /// </summary>
    public bool AllowRemoteHttp { get; set; }

    /// <summary>
    /// Accept tenant ids and derivation paths containing <c>-</c> (existing Alloy data). Keys derive from
    /// <c>tenant-derivationPath</c>, so then every client not allowed every tenant must list its
    /// <see cref="ClientPolicy.DerivationPaths"/>, and the service refuses to start when one of them reaches the keys of
    /// a tenant the client may not use. Off by default: such ids are refused with 400.
    /// </summary>
    public bool AllowHyphenatedIds { get; set; }

    /// <summary>
    /// The largest L2 norm of vector inputs (encrypt, query, rotate) on secret paths whose <see cref="Keys.VectorSecret.MaxNorm"/>
    /// is not set and that <see cref="MaxNorms"/> does not name: 1 + 1e-3, for normalised embeddings. A larger input
    /// would drown the noise and reveal the key's permutation in one call.
    /// </summary>
    public float DefaultMaxNorm { get; set; } = 1.001f;

    /// <summary>The largest L2 norm of vector inputs per secret path, over the configuration's and <see cref="DefaultMaxNorm"/> (for models whose embeddings are not normalised).</summary>
    public IReadOnlyDictionary<string, float> MaxNorms { get; set; } = new Dictionary<string, float>(StringComparer.Ordinal);

    /// <summary>Refusals (401, 403, 400) a client, or an unauthenticated remote address, may cause in a burst before its requests get 429 unread.</summary>
    public int RefusalBurst { get; set; } = 20;

    /// <summary>How often one more refusal is allowed once the burst is used.</summary>
    public TimeSpan RefusalInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The clock of rate limits, quotas, the limits state and audit lines for
    /// <see cref="VeilKeyService.StartAsync(VeilKeyServiceOptions, CancellationToken)"/> (a fake one in tests). In an app
    /// (<c>AddVeilKeyService</c>), the <see cref="System.TimeProvider"/> registered in the service provider is used instead.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary><see cref="VeilKeyService.StartAsync(VeilKeyServiceOptions, CancellationToken)"/> only: the TLS certificate for <c>https://</c> URLs.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>
    /// Where audit lines go (null: nowhere). The caller owns the writer, which must not keep text it failed to write
    /// (<see cref="VeilKeyService.OpenAuditFile"/> opens such a writer for a file); a line that cannot be written
    /// fails its request with 500 and no result.
    /// </summary>
    public TextWriter? AuditLog { get; set; }

    /// <summary>Largest request body of the key service's endpoints; larger bodies get 400.</summary>
    public long MaxRequestBodyBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most items in one request; more get 400.</summary>
    public int MaxItemsPerRequest { get; set; } = 1024;

    /// <summary>
    /// A file that keeps every client's rate-limit buckets and quotas, and the dimension fixed for each vector secret
    /// path, across restarts (read at start; written before answering a request that reserves more quota or fixes a
    /// dimension, every <see cref="LimitsSaveInterval"/> while something changed, and at stop); null keeps them in
    /// memory only. A crash may lose unused reserved quota, never grant more. With a shared <see cref="LimitsStore"/>
    /// the buckets and quotas live there, and this file keeps the dimensions only.
    /// </summary>
    public string? LimitsStatePath { get; set; }

    /// <summary>
    /// Where rate-limit buckets and quotas are kept and checked; null (the default) keeps them in this process (and in
    /// <see cref="LimitsStatePath"/> when given). Several instances behind a load balancer share one store (the Redis
    /// store of <c>Veil.Service.Redis</c>), so each client's limits hold across them all. The caller owns the store.
    /// </summary>
    public LimitsStore? LimitsStore { get; set; }

    /// <summary>How often the limits state is saved while it changes; a crash loses at most this much of the rate-limit buckets' accounting.</summary>
    public TimeSpan LimitsSaveInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A copy with what the service resolved at start-up: its keys, clients, audit writer and clock.</summary>
    internal VeilKeyServiceOptions Resolved(VeilConfiguration configuration, ServiceClients clients, TextWriter? auditLog, TimeProvider timeProvider)
    {
        var copy = (VeilKeyServiceOptions)MemberwiseClone();
        copy.Configuration = configuration;
        copy.Clients = clients;
        copy.AuditLog = auditLog;
        copy.TimeProvider = timeProvider;
        return copy;
    }
}
