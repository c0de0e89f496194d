using System.Security.Cryptography.X509Certificates;

namespace Veil.Service;

/// <summary>How to run the key service.</summary>
public sealed class VeilKeyServiceOptions
{
    /// <summary>The unwrapped keys. The caller keeps ownership (and disposes the secrets after the service stops).</summary>
    public required VeilConfiguration Configuration { get; init; }

    /// <summary>Who may call, and what they may do.</summary>
    public required ServiceClients Clients { get; init; }

    /// <summary>URLs to listen on; the default is loopback on a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:0"];

    /// <summary>The TLS certificate for <c>https://</c> URLs.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Where audit lines go (null: nowhere). The caller owns the writer.</summary>
    public TextWriter? AuditLog { get; init; }

    /// <summary>Largest request body; larger bodies get 400.</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most items in one request; more get 400.</summary>
    public int MaxItemsPerRequest { get; init; } = 1024;

    /// <summary>
    /// A file that keeps every client's rate-limit bucket and quota across restarts (read at start, written every
    /// <see cref="LimitsSaveInterval"/> while something changed, and at stop); null keeps them in memory only.
    /// </summary>
    public string? LimitsStatePath { get; init; }

    /// <summary>How often the limits state is saved while it changes; a crash loses at most this much accounting.</summary>
    public TimeSpan LimitsSaveInterval { get; init; } = TimeSpan.FromSeconds(1);
}
