// A bounded load test of the key service on loopback (never part of the test run, and never a timed assertion):
// starts the real service in-process from a keyset, drives it from concurrent HTTP clients for a fixed time, and
// reports throughput, latency percentiles and the process's CPU time per vector (after a 3 s warm-up that is not
// counted); then drives a rate-limited client as hard as it can and reports
// whether the items it got through stayed within burst + rate × elapsed; last, sends issue 14's 40 one-item requests
// with distinct dimensions near 10^6 and reports the process's RSS before and after (they are refused per item).
//
//   dotnet run -c Release --project bench/Veil.Service.LoadTest -- [binary] [seconds=20 (max 60)] [concurrency=8] [batch=16] [dimensions=384]
//
// "binary" sends the unlimited client's batches in the binary form (application/vnd.veil.batch) instead of JSON.
//
// With "shared" first, it instead starts several instances sharing one Redis and checks that one client's limit holds
// summed over them all (SharedLimitsTest):
//
//   dotnet run -c Release --project bench/Veil.Service.LoadTest -- shared <redis configuration> [instances=3] [seconds=10 (max 60)] [concurrency=8]
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Veil;
using Veil.Keys;
using Veil.Protocol;
using Veil.Service;
using Veil.Service.Client;
using Veil.Vectors;

if (args is ["shared", string redis, ..])
{
    args = args[2..];
    return await SharedLimitsTest.RunAsync(redis, instances: Math.Max(1, Arg(0, 3)), seconds: Math.Min(60, Arg(1, 10)), concurrency: Arg(2, 8), batch: 16, dimensions: 384);
}

bool binary = args is ["binary", ..];
args = binary ? args[1..] : args;
int seconds = Math.Min(60, Arg(0, 20));
int concurrency = Arg(1, 8);
int batch = Arg(2, 16);
int dimensions = Arg(3, 384);
const double LimitedRate = 500;
const double LimitedBurst = 500;

string directory = Directory.CreateTempSubdirectory("veil-loadtest-").FullName;
try
{
    using UnwrappedKeyset keys = await LoadTestKeys.CreateAsync(directory);
    string adminKey = ServiceClients.GenerateApiKey();
    string limitedKey = ServiceClients.GenerateApiKey();
    ServiceClients clients = ServiceClients.Create(
    [
        new ClientPolicy { Name = "bulk", KeySha256 = ServiceClients.HashApiKey(adminKey), Tenants = ["*"], SecretPaths = ["*"], Operations = ["*"] },
        LoadTestKeys.LimitedClient(limitedKey, LimitedRate, LimitedBurst),
    ]);
    using var audit = new StreamWriter(Path.Combine(directory, "audit.jsonl"));
    await using VeilKeyService service = await VeilKeyService.StartAsync(new VeilKeyServiceOptions { Configuration = keys.Configuration, Clients = clients, AuditLog = audit });
    using var http = new HttpClient { BaseAddress = new Uri(service.Addresses[0] + "/") };
    var random = new Random(1);
    ReadOnlyMemory<float>[] vectors = [.. Enumerable.Range(0, batch).Select(_ => (ReadOnlyMemory<float>)Unit([.. Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))]))];

    Console.WriteLine($"veil serve load test: {service.Addresses[0]}, {Environment.ProcessorCount} cores, {concurrency} concurrent clients, {batch} vectors of d={dimensions} per request, vector.encrypt, {(binary ? "binary" : "JSON")} batches");
    using (var local = new VeilClient(keys.Configuration))
    {
        // The same work in-process, one thread, 2 s each, for comparison: the core alone, then with the JSON bodies
        // both sides write and parse (the client's request, the service's reading, encrypting and answering, the
        // client's reading of the answer) but no HTTP. What is left of the service's cost is HTTP, threads and GC.
        var scope = new OperationScope(new TenantId("tenant0"), new SecretPath("docs"), new DerivationPath("embedding"), Dimension: dimensions);
        Baseline("in-process baseline", "EncryptBatch, no HTTP", () => local.Vector.EncryptBatch(vectors, scope.SecretPath, scope.DerivationPath, scope.Tenant).SuccessCount);
        var requestBody = new ArrayBufferWriter<byte>();
        var responseBody = new ArrayBufferWriter<byte>();
        Baseline("in-process JSON baseline", "request and response JSON written and parsed, no HTTP", () => JsonRoundTrip(local, scope, vectors, requestBody, responseBody));
    }

    // Not counted: the first seconds run the request path through the JIT's tiers and size the pools.
    var unlimitedClient = new VeilServiceClient(http, adminKey) { UseBinaryBatches = binary };
    Report("warm-up (not counted)", await RunAsync(unlimitedClient, vectors, TimeSpan.FromSeconds(3)));
    Phase unlimited = await RunAsync(unlimitedClient, vectors, TimeSpan.FromSeconds(seconds));
    Report("unlimited client", unlimited);

    Phase limited = await RunAsync(new VeilServiceClient(http, limitedKey), vectors, TimeSpan.FromSeconds(Math.Max(5, seconds / 2)));
    Report($"limited client ({LimitedRate} items/s, burst {LimitedBurst})", limited);
    double bound = LimitedBurst + (LimitedRate * limited.Elapsed.TotalSeconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  limit: {limited.Items} items accepted in {limited.Elapsed.TotalSeconds:F1} s ({limited.Items / limited.Elapsed.TotalSeconds:F0}/s) ≤ burst + rate × t = {bound:F0}: {(limited.Items <= bound ? "HOLDS" : "VIOLATED")}; {limited.Rejected} requests got 429"));

    // Issue 14 §3: one-item requests with distinct dimensions near 10^6 must not grow the service's memory. Two rounds:
    // live managed memory after the first holds pooled buffers (bounded); the second shows whether anything accumulates.
    long rssBefore = Rss();
    long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
    int refusedItems = 0;
    var heapAfter = new long[2];
    for (int round = 0; round < 2; round++)
    {
        for (int i = 0; i < 40; i++)
        {
            int d = 1_000_000 - (round * 40) - i;
            string body = $$"""{"tenant":"tenant0","secretPath":"docs","derivationPath":"embedding","items":[{"id":{{i}},"vector":[{{string.Join(',', Enumerable.Repeat('0', d))}}]}]}""";
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/vector/query") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Api-Key", adminKey);
            using HttpResponseMessage response = await http.SendAsync(request);
            refusedItems += (await response.Content.ReadAsStringAsync()).Contains("\"error\"", StringComparison.Ordinal) ? 1 : 0;
        }

        heapAfter[round] = GC.GetTotalMemory(forceFullCollection: true);
    }

    // RSS also holds the load generator's request strings and heap the GC has not returned to the OS yet.
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"dimension attack: {refusedItems} of 80 items refused; live managed heap {heapBefore / 1048576} MiB before, {heapAfter[0] / 1048576} MiB after 40 requests, {heapAfter[1] / 1048576} MiB after 80; RSS {rssBefore / 1048576} → {Rss() / 1048576} MiB"));
    return limited.Items <= bound && refusedItems == 80 ? 0 : 1;
}
finally
{
    Directory.Delete(directory, recursive: true);
}

void Baseline(string name, string what, Func<int> step)
{
    step();
    long items = 0;
    TimeSpan cpuBefore = CpuTime();
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromSeconds(2))
    {
        items += step();
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: {items / clock.Elapsed.TotalSeconds:F0} vectors/s, CPU {(CpuTime() - cpuBefore).TotalMicroseconds / Math.Max(1, items):F1} µs per vector ({what})"));
}

int JsonRoundTrip(VeilClient local, OperationScope scope, ReadOnlyMemory<float>[] vectors, ArrayBufferWriter<byte> requestBody, ArrayBufferWriter<byte> responseBody)
{
    ItemOperation<ReadOnlyMemory<float>, EncryptedVector> operation = ItemOperations.VectorEncrypt;
    var request = new BatchRequest { Tenant = scope.Tenant.Value, SecretPath = scope.SecretPath.Value, DerivationPath = scope.DerivationPath.Value, Items = [.. vectors.Select(operation.WriteInput)] };
    requestBody.ResetWrittenCount();
    using (var writer = new Utf8JsonWriter(requestBody, ProtocolJson.WriterOptions))
    {
        ProtocolJson.WriteRequest(writer, request);
    }

    IReadOnlyList<ProtocolItem> results = operation.Process(local, ProtocolJson.ReadRequest(requestBody.WrittenSpan, operation.RequestMembers).Items!, scope);
    responseBody.ResetWrittenCount();
    using (var writer = new Utf8JsonWriter(responseBody, ProtocolJson.WriterOptions))
    {
        ProtocolJson.WriteResponse(writer, results);
    }

    return ProtocolJson.ReadResponse(responseBody.WrittenSpan, operation.ResultMembers).Count(item => operation.ReadOutput(item, scope).Ciphertext.Length == dimensions);
}

async Task<Phase> RunAsync(VeilServiceClient client, ReadOnlyMemory<float>[] vectors, TimeSpan duration)
{
    var latencies = new List<double>[concurrency];
    long items = 0;
    long rejected = 0;
    long failed = 0;
    TimeSpan cpuBefore = CpuTime();
    int[] gcsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = latencies[worker] = [];
        while (clock.Elapsed < duration)
        {
            long start = Stopwatch.GetTimestamp();
            try
            {
                BatchResult<EncryptedVector> result = await client.EncryptBatchAsync(vectors, new SecretPath("docs"), new DerivationPath("embedding"), new TenantId("tenant" + (worker % 4).ToString(CultureInfo.InvariantCulture)));
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Add(ref items, result.SuccessCount);
                Interlocked.Add(ref failed, result.FailureCount);
            }
            catch (VeilServiceException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref rejected);
            }
        }
    }));
    clock.Stop();
    TimeSpan cpu = CpuTime() - cpuBefore;
    int[] gcs = [GC.CollectionCount(0) - gcsBefore[0], GC.CollectionCount(1) - gcsBefore[1], GC.CollectionCount(2) - gcsBefore[2]];
    double[] all = [.. latencies.SelectMany(l => l).Order()];
    return new Phase(clock.Elapsed, all, items, rejected, failed, cpu, gcs);
}

void Report(string name, Phase phase)
{
    double Percentile(double p) => phase.Latencies.Length == 0 ? double.NaN : phase.Latencies[Math.Min(phase.Latencies.Length - 1, (int)Math.Ceiling(p * phase.Latencies.Length) - 1)];
    double s = phase.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: {phase.Latencies.Length} ok requests in {s:F1} s = {phase.Latencies.Length / s:F0} req/s, {phase.Items / s:F0} vectors/s; latency ms p50 {Percentile(0.50):F2} p90 {Percentile(0.90):F2} p99 {Percentile(0.99):F2} max {Percentile(1.0):F2}; {phase.Rejected} × 429, {phase.Failed} item errors"));

    // CPU time rather than wall time: on a shared, loaded machine it is the figure that compares runs (the clients
    // and the service share this process, so it is their sum).
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  CPU {phase.Cpu.TotalSeconds:F1} s = {phase.Cpu.TotalMicroseconds / Math.Max(1, phase.Items):F1} µs per vector (clients and service); GCs gen0 {phase.Gcs[0]}, gen1 {phase.Gcs[1]}, gen2 {phase.Gcs[2]}"));
}

static float[] Unit(float[] vector)
{
    float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
    return [.. vector.Select(x => x / norm)];
}

static TimeSpan CpuTime()
{
    using var process = Process.GetCurrentProcess();
    return process.TotalProcessorTime;
}

static long Rss()
{
    using var process = Process.GetCurrentProcess();
    return process.WorkingSet64;
}

int Arg(int index, int fallback) => args.Length > index && int.TryParse(args[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;

internal sealed record Phase(TimeSpan Elapsed, double[] Latencies, long Items, long Rejected, long Failed, TimeSpan Cpu, int[] Gcs);
