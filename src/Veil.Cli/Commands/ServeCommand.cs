using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Veil.Cli.Commands.OptionGroups;
using Veil.Configuration;
using Veil.Service;
using Veil.Service.Redis;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil serve</c>: runs the key service (<see cref="VeilKeyService"/>) until Ctrl+C / SIGTERM, with the keys
/// unwrapped from a keyset through its KMS (or, insecurely, from a cleartext configuration), clients from a clients
/// file and audit lines to a file. Prints <c>{"listening":["http://127.0.0.1:…"]}</c> on stdout once bound. The
/// options bind through <see cref="VeilKeyServiceSettings"/>.
/// </summary>
internal sealed class ServeCommand : VeilCommand
{
    private readonly KeySourceOptions _keys = new("INSECURE, FOR DEVELOPMENT: a cleartext configuration file instead of --keyset.", recursive: false);
    private readonly Option<string> _clients = new("--clients") { Description = "The clients file: {\"clients\":[{\"name\",\"keySha256\",\"tenants\",\"secretPaths\",\"derivationPaths\",\"operations\",\"rateLimit\":{\"itemsPerSecond\",\"burst\",\"floatsPerSecond\",\"floatBurst\"},\"quota\":{\"maxItems\",\"maxFloats\"},\"keyQuota\":{\"maxItems\"}}]}.", Required = true };
    private readonly Option<string[]> _urls = new("--urls") { Description = "URLs to listen on (repeatable, or separated by ';'). Default http://127.0.0.1:0 (a free port, printed on stdout).", DefaultValueFactory = _ => ["http://127.0.0.1:0"], AllowMultipleArgumentsPerToken = true };
    private readonly Option<string> _auditLog = Opt<string>("--audit-log", "Append audit lines (JSON, one per request; never plaintext or keys) to this file; \"-\" for stderr.");
    private readonly Option<string> _limitsState = Opt<string>("--limits-state", "Keep every client's rate-limit bucket and quota in this file across restarts (saved every second while it changes, and at stop); default: in memory only.");
    private readonly Option<string> _limitsRedis = Opt<string>("--limits-redis", "Share every client's rate-limit buckets and quotas with the other instances using this Redis (a StackExchange.Redis configuration such as 127.0.0.1:6379): one atomic script per request on Redis's clock. --limits-state then keeps only the dimensions.");
    private readonly Option<string> _limitsRedisPrefix = Opt("--limits-redis-prefix", "The prefix of the Redis keys (instances share limits only with the same prefix).", "veil:limits:");
    private readonly Option<string> _limitsRedisPasswordEnv = Opt<string>("--limits-redis-password-env", "The environment variable holding the Redis password.");
    private readonly Option<RedisUnreachable> _limitsRedisUnreachable = Opt("--limits-redis-unreachable", "While Redis cannot be reached: FailClosed (default: 503, audited) or UseLocalLimits (this instance's own limits in memory, so each instance grants each client its full limits during the outage).", RedisUnreachable.FailClosed);
    private readonly Option<string> _certificate = Opt<string>("--certificate", "A PKCS#12 (.pfx) certificate for https:// URLs.");
    private readonly Option<string> _certificatePasswordEnv = Opt<string>("--certificate-password-env", "The environment variable holding the certificate's password.");
    private readonly Option<long> _maxBody = Opt("--max-body-bytes", "Largest request body (larger: 400).", 4L * 1024 * 1024);
    private readonly Option<int> _maxItems = Opt("--max-items", "Most items per request (more: 400).", 1024);
    private readonly Option<bool> _allowRemoteHttp = Opt<bool>("--allow-remote-http", "Allow plain http:// on a non-loopback address (otherwise refused: use https:// with --certificate).");
    private readonly Option<bool> _allowHyphenatedIds = Opt<bool>("--allow-hyphenated-ids", "Accept '-' in tenants and derivation paths (existing Alloy data; refused by default, since keys derive from tenant-derivationPath). Every client not allowed every tenant must then list its derivationPaths, none reaching another tenant's keys (checked at start).");
    private readonly Option<string[]> _maxNorm = new("--max-norm") { Description = "path=value: the largest L2 norm of vector inputs (encrypt, query, rotate) on that secret path (repeatable). Default: the keyset's maxNorm, else 1.001 (normalised embeddings).", AllowMultipleArgumentsPerToken = true };

    public ServeCommand(CliConsole console)
        : base(console, "serve", "Run the key service: authenticated, authorised, rate-limited and audited encryption over HTTP/JSON, keys held in memory. Binds 127.0.0.1 by default.")
    {
        _keys.AddTo(this);
        this.Add(_clients, _urls, _auditLog, _limitsState, _limitsRedis, _limitsRedisPrefix, _limitsRedisPasswordEnv, _limitsRedisUnreachable);
        this.Add(_certificate, _certificatePasswordEnv, _maxBody, _maxItems, _allowRemoteHttp, _allowHyphenatedIds, _maxNorm);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        // The service loads (and zeroes) the keys, reads the clients file and owns the audit file; the CLI owns what it opens here.
        string? audit = parseResult.GetValue(_auditLog);
        using X509Certificate2? certificate = parseResult.GetValue(_certificate) is { } path ? VeilKeyServiceSettings.LoadCertificate(path, parseResult.GetValue(_certificatePasswordEnv)) : null;
        var options = new VeilKeyServiceOptions
        {
            Keys = _keys.Read(parseResult),
            ClientsPath = parseResult.GetValue(_clients),
            Urls = parseResult.GetValue(_urls)!,
            AllowRemoteHttp = parseResult.GetValue(_allowRemoteHttp),
            AllowHyphenatedIds = parseResult.GetValue(_allowHyphenatedIds),
            MaxNorms = VeilKeyServiceSettings.ParseMaxNorms(parseResult.GetValue(_maxNorm) ?? []),
            Certificate = certificate,
            AuditLog = audit == "-" ? Terminal.Error : null,
            AuditLogPath = audit == "-" ? null : audit,
            MaxRequestBodyBytes = parseResult.GetValue(_maxBody),
            MaxItemsPerRequest = parseResult.GetValue(_maxItems),
            LimitsStatePath = parseResult.GetValue(_limitsState),
        };
        if (options.Keys.ConfigurationPath is not null)
        {
            Terminal.Error.WriteLine("warning: INSECURE: --config serves cleartext development keys; use --keyset with a KMS in production.");
        }

        RedisLimitsStore? redis = parseResult.GetValue(_limitsRedis) is { } redisConfiguration ? await ConnectRedisAsync(parseResult, redisConfiguration).ConfigureAwait(false) : null;
        try
        {
            options.LimitsStore = redis;
            await VeilKeyService.RunAsync(options, StderrWarnings, addresses =>
            {
                Terminal.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, IReadOnlyList<string>> { ["listening"] = addresses }));
                Terminal.Output.Flush();
            }, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }
        finally
        {
            if (redis is not null)
            {
                await redis.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The service's warnings (5xx answers, insecure keys) on stderr; stdout keeps only the JSON line.</summary>
    private static void StderrWarnings(ILoggingBuilder logging) =>
        logging.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(console => console.SingleLine = true)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

    private async Task<RedisLimitsStore> ConnectRedisAsync(ParseResult parseResult, string configuration)
    {
        try
        {
            return await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions
            {
                Configuration = configuration,
                PasswordVariable = parseResult.GetValue(_limitsRedisPasswordEnv),
                Prefix = parseResult.GetValue(_limitsRedisPrefix)!,
                WhenUnreachable = parseResult.GetValue(_limitsRedisUnreachable),
            }).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw new CliUsageException($"--limits-redis: {e.Message}", e);
        }
    }
}
