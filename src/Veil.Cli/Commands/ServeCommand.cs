using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Veil.Cli.Keysets;
using Veil.Configuration;
using Veil.Keys;
using Veil.Service;
using Veil.Service.Redis;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil serve</c>: runs the key service (<see cref="VeilKeyService"/>) until Ctrl+C / SIGTERM, with the keys
/// unwrapped from a keyset through its KMS (or, insecurely, from a cleartext configuration), clients from a clients
/// file and audit lines to a file. Prints <c>{"listening":["http://127.0.0.1:…"]}</c> on stdout once bound.
/// </summary>
internal sealed class ServeCommand : Command
{
    private readonly CliConsole _console;

    public ServeCommand(CliConsole console)
        : base("serve", "Run the key service: authenticated, authorised, rate-limited and audited encryption over HTTP/JSON, keys held in memory. Binds 127.0.0.1 by default.")
    {
        _console = console;
        Keys.AddTo(this);
        Options.Add(ClientsOption);
        Options.Add(UrlsOption);
        Options.Add(AuditLogOption);
        Options.Add(LimitsStateOption);
        Options.Add(LimitsRedisOption);
        Options.Add(LimitsRedisPrefixOption);
        Options.Add(LimitsRedisPasswordEnvOption);
        Options.Add(LimitsRedisUnreachableOption);
        Options.Add(CertificateOption);
        Options.Add(CertificatePasswordEnvOption);
        Options.Add(MaxBodyOption);
        Options.Add(MaxItemsOption);
        Options.Add(AllowRemoteHttpOption);
        Options.Add(AllowHyphenatedIdsOption);
        Options.Add(MaxNormOption);
        SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken));
    }

    internal KeySource Keys { get; } = new("INSECURE, FOR DEVELOPMENT: a cleartext configuration file instead of --keyset.", recursive: false);

    internal Option<string> ClientsOption { get; } = new("--clients")
    {
        Description = "The clients file: {\"clients\":[{\"name\",\"keySha256\",\"tenants\",\"secretPaths\",\"derivationPaths\",\"operations\",\"rateLimit\":{\"itemsPerSecond\",\"burst\",\"floatsPerSecond\",\"floatBurst\"},\"quota\":{\"maxItems\",\"maxFloats\"},\"keyQuota\":{\"maxItems\"}}]}.",
        Required = true,
    };

    internal Option<string[]> UrlsOption { get; } = new("--urls")
    {
        Description = "URLs to listen on (repeatable, or separated by ';'). Default http://127.0.0.1:0 (a free port, printed on stdout).",
        DefaultValueFactory = _ => ["http://127.0.0.1:0"],
        AllowMultipleArgumentsPerToken = true,
    };

    internal Option<string> AuditLogOption { get; } = new("--audit-log") { Description = "Append audit lines (JSON, one per request; never plaintext or keys) to this file; \"-\" for stderr." };

    internal Option<string> LimitsStateOption { get; } = new("--limits-state")
    {
        Description = "Keep every client's rate-limit bucket and quota in this file across restarts (saved every second while it changes, and at stop); default: in memory only.",
    };

    internal Option<string> LimitsRedisOption { get; } = new("--limits-redis")
    {
        Description = "Share every client's rate-limit buckets and quotas with the other instances using this Redis (a StackExchange.Redis configuration such as 127.0.0.1:6379): one atomic script per request on Redis's clock. --limits-state then keeps only the dimensions.",
    };

    internal Option<string> LimitsRedisPrefixOption { get; } = new("--limits-redis-prefix")
    {
        Description = "The prefix of the Redis keys (instances share limits only with the same prefix).",
        DefaultValueFactory = _ => "veil:limits:",
    };

    internal Option<string> LimitsRedisPasswordEnvOption { get; } = new("--limits-redis-password-env") { Description = "The environment variable holding the Redis password." };

    internal Option<RedisUnreachable> LimitsRedisUnreachableOption { get; } = new("--limits-redis-unreachable")
    {
        Description = "While Redis cannot be reached: FailClosed (default: 503, audited) or UseLocalLimits (this instance's own limits in memory, so each instance grants each client its full limits during the outage).",
        DefaultValueFactory = _ => RedisUnreachable.FailClosed,
    };

    internal Option<string> CertificateOption { get; } = new("--certificate") { Description = "A PKCS#12 (.pfx) certificate for https:// URLs." };

    internal Option<string> CertificatePasswordEnvOption { get; } = new("--certificate-password-env") { Description = "The environment variable holding the certificate's password." };

    internal Option<long> MaxBodyOption { get; } = new("--max-body-bytes") { Description = "Largest request body (larger: 400).", DefaultValueFactory = _ => 4 * 1024 * 1024 };

    internal Option<int> MaxItemsOption { get; } = new("--max-items") { Description = "Most items per request (more: 400).", DefaultValueFactory = _ => 1024 };

    internal Option<bool> AllowRemoteHttpOption { get; } = new("--allow-remote-http") { Description = "Allow plain http:// on a non-loopback address (otherwise refused: use https:// with --certificate)." };

    internal Option<bool> AllowHyphenatedIdsOption { get; } = new("--allow-hyphenated-ids")
    {
        Description = "Accept '-' in tenants and derivation paths (existing Alloy data; refused by default, since keys derive from tenant-derivationPath). Every client not allowed every tenant must then list its derivationPaths, none reaching another tenant's keys (checked at start).",
    };

    internal Option<string[]> MaxNormOption { get; } = new("--max-norm")
    {
        Description = "path=value: the largest L2 norm of vector inputs (encrypt, query, rotate) on that secret path (repeatable). Default: the keyset's maxNorm, else 1.001 (normalised embeddings).",
        AllowMultipleArgumentsPerToken = true,
    };

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        LoadedVeilKeys? keys = null;
        TextWriter? audit = null;
        X509Certificate2? certificate = null;
        RedisLimitsStore? redis = null;
        try
        {
            string[] urls = parseResult.GetValue(UrlsOption)!;
            certificate = LoadCertificate(parseResult);
            CheckUrls(urls, certificate is not null, parseResult.GetValue(AllowRemoteHttpOption));
            Dictionary<string, float> maxNorms = ParseMaxNorms(parseResult.GetValue(MaxNormOption) ?? []);
            ServiceClients clients = LoadClients(parseResult.GetValue(ClientsOption)!);
            keys = await Keys.LoadAsync(parseResult, _console, cancellationToken).ConfigureAwait(false);
            if (parseResult.GetValue(Keys.Config) is not null)
            {
                _console.Error.WriteLine("warning: INSECURE: --config serves cleartext development keys; use --keyset with a KMS in production.");
            }

            audit = parseResult.GetValue(AuditLogOption) switch
            {
                null => null,
                "-" => _console.Error,
                string path => VeilKeyService.OpenAuditFile(path),
            };

            redis = await ConnectRedisAsync(parseResult).ConfigureAwait(false);
            VeilKeyService service = await VeilKeyService.StartAsync(
                new VeilKeyServiceOptions
                {
                    Configuration = keys.Configuration,
                    Clients = clients,
                    Urls = urls,
                    AllowRemoteHttp = parseResult.GetValue(AllowRemoteHttpOption),
                    AllowHyphenatedIds = parseResult.GetValue(AllowHyphenatedIdsOption),
                    MaxNorms = maxNorms,
                    Certificate = certificate,
                    AuditLog = audit,
                    MaxRequestBodyBytes = parseResult.GetValue(MaxBodyOption),
                    MaxItemsPerRequest = parseResult.GetValue(MaxItemsOption),
                    LimitsStatePath = parseResult.GetValue(LimitsStateOption),
                    LimitsStore = redis,
                },
                StderrWarnings,
                cancellationToken).ConfigureAwait(false);
            await using (service.ConfigureAwait(false))
            {
                _console.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, IReadOnlyList<string>> { ["listening"] = service.Addresses }));
                _console.Output.Flush();
                try
                {
                    await service.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: stop cleanly below.
                }
            }

            return ExitCodes.Success;
        }
        catch (Exception e) when (UsageErrors.Is(e) || e is FormatException or ArgumentException or OptionsValidationException)
        {
            _console.Error.WriteLine(UsageErrors.Is(e) ? e.Message : $"veil serve: {e.Message}");
            return ExitCodes.InvalidOptions;
        }
        catch (KeysetUnavailableException e)
        {
            _console.Error.WriteLine($"veil serve: {e.Message}");
            return ExitCodes.Of(e);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            // The certificate, a file or the port could not be opened.
            _console.Error.WriteLine($"veil serve: {e.Message}");
            return ExitCodes.Failed;
        }
        finally
        {
            keys?.Dispose();
            if (redis is not null)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
            }

            if (audit is not null && audit != _console.Error)
            {
                await audit.DisposeAsync().ConfigureAwait(false);
            }

            certificate?.Dispose();
        }
    }

    /// <summary>The service's warnings (5xx answers, insecure keys) on stderr; stdout keeps only the JSON line.</summary>
    private static void StderrWarnings(ILoggingBuilder logging) =>
        logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(console => console.SingleLine = true)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

    private X509Certificate2? LoadCertificate(ParseResult parseResult)
    {
        if (parseResult.GetValue(CertificateOption) is not { } path)
        {
            return null;
        }

        string? password = parseResult.GetValue(CertificatePasswordEnvOption) is { } variable ? Environment.GetEnvironmentVariable(variable) : null;
        return X509CertificateLoader.LoadPkcs12FromFile(path, password);
    }

    private async Task<RedisLimitsStore?> ConnectRedisAsync(ParseResult parseResult)
    {
        if (parseResult.GetValue(LimitsRedisOption) is not { } configuration)
        {
            return null;
        }

        string? password = null;
        if (parseResult.GetValue(LimitsRedisPasswordEnvOption) is { } variable)
        {
            password = Environment.GetEnvironmentVariable(variable) ?? throw new CliUsageException($"--limits-redis-password-env: the environment variable {variable} is not set.");
        }

        try
        {
            return await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions
            {
                Configuration = configuration,
                Password = password,
                Prefix = parseResult.GetValue(LimitsRedisPrefixOption)!,
                WhenUnreachable = parseResult.GetValue(LimitsRedisUnreachableOption),
            }).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--limits-redis: {e.Message}", e);
        }
    }

    private static ServiceClients LoadClients(string path)
    {
        try
        {
            return ServiceClients.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new CliUsageException($"--clients '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Every URL Kestrel will bind (split on ';' and ','): plain HTTP only on loopback unless explicitly allowed, https
    /// only with a certificate. The service checks again; checking here gives the usage error first.
    /// </summary>
    private static void CheckUrls(string[] urls, bool hasCertificate, bool allowRemoteHttp)
    {
        try
        {
            ServiceUrls.Check(urls, hasCertificate, allowRemoteHttp);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--urls: {e.Message}", e);
        }
    }

    private static Dictionary<string, float> ParseMaxNorms(string[] values)
    {
        var norms = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (string value in values)
        {
            int equals = value.LastIndexOf('=');
            if (equals <= 0 || !float.TryParse(value.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out float norm) || !float.IsFinite(norm) || norm <= 0
                || !norms.TryAdd(value[..equals], norm))
            {
                throw new CliUsageException($"--max-norm: '{value}' is not path=value with a number greater than zero (once per path).");
            }
        }

        return norms;
    }
}
