using System.Diagnostics;
using System.Globalization;
using System.Net;
using Veil;
using Veil.Keys;
using Veil.Service;
using Veil.Service.Client;
using Veil.Service.Redis;
using Veil.Vectors;

/// <summary>
/// Several key service instances in this process, sharing one Redis (limits under a fresh prefix), and one
/// rate-limited client driven through all of them at once for a fixed time: the items accepted, summed over the
/// instances, must stay within burst + rate × elapsed of the one shared limit.
/// </summary>
internal static class SharedLimitsTest
{
    private const double Rate = 500;
    private const double Burst = 500;

    public static async Task<int> RunAsync(string redis, int instances, int seconds, int concurrency, int batch, int dimensions)
    {
        string directory = Directory.CreateTempSubdirectory("veil-loadtest-shared-").FullName;
        var services = new List<VeilKeyService>();
        var audits = new List<StreamWriter>();
        var stores = new List<RedisLimitsStore>();
        string prefix = $"veil-loadtest:{Guid.NewGuid():N}:";
        try
        {
            using UnwrappedKeyset keys = await LoadTestKeys.CreateAsync(directory);
            string limitedKey = ServiceClients.GenerateApiKey();
            ServiceClients clients = ServiceClients.Create([LoadTestKeys.LimitedClient(limitedKey, Rate, Burst)]);

            for (int i = 0; i < instances; i++)
            {
                // Each instance has its own connection to Redis, as separate processes would.
                var audit = new StreamWriter(Path.Combine(directory, $"audit{i}.jsonl"));
                audits.Add(audit);
                RedisLimitsStore store = await RedisLimitsStore.ConnectAsync(new RedisLimitsOptions { Configuration = redis, Prefix = prefix });
                stores.Add(store);
                services.Add(await VeilKeyService.StartAsync(new VeilKeyServiceOptions { Configuration = keys.Configuration, Clients = clients, AuditLog = audit, LimitsStore = store }));
            }

            var random = new Random(1);
            ReadOnlyMemory<float>[] vectors = [.. Enumerable.Range(0, batch).Select(_ => (ReadOnlyMemory<float>)Unit([.. Enumerable.Range(0, dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1))]))];
            HttpClient[] http = [.. services.Select(s => new HttpClient { BaseAddress = new Uri(s.Addresses[0] + "/") })];
            Console.WriteLine($"shared limits: {instances} instances sharing Redis {prefix}*, one client limited to {Rate} items/s (burst {Burst}), {concurrency} concurrent callers spread over the instances, {batch} vectors of d={dimensions} per request, {seconds} s");

            long[] accepted = new long[instances];
            long[] refused = new long[instances];
            long unavailable = 0;
            var clock = Stopwatch.StartNew();
            TimeSpan duration = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
            {
                int instance = worker % instances;
                var client = new VeilServiceClient(http[instance], limitedKey);
                while (clock.Elapsed < duration)
                {
                    try
                    {
                        BatchResult<EncryptedVector> result = await client.EncryptBatchAsync(vectors, new SecretPath("docs"), new DerivationPath("embedding"), new TenantId("tenant" + (worker % 4).ToString(CultureInfo.InvariantCulture)));
                        Interlocked.Add(ref accepted[instance], result.SuccessCount);
                    }
                    catch (VeilServiceException e) when (e.StatusCode == HttpStatusCode.TooManyRequests)
                    {
                        Interlocked.Increment(ref refused[instance]);
                    }
                    catch (VeilServiceException e) when (e.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        Interlocked.Increment(ref unavailable);
                    }
                }
            }));
            double elapsed = clock.Elapsed.TotalSeconds;
            foreach (HttpClient h in http)
            {
                h.Dispose();
            }

            long total = accepted.Sum();
            double bound = Burst + (Rate * elapsed);
            for (int i = 0; i < instances; i++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  instance {i}: {accepted[i]} items accepted, {refused[i]} requests got 429"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  shared limit: {total} items accepted over {instances} instances in {elapsed:F2} s ({total / elapsed:F0}/s) ≤ burst + rate × t = {bound:F0}: {(total <= bound ? "HOLDS" : "VIOLATED")}; {unavailable} × 503; without sharing the instances could have granted up to {instances * bound:F0}"));
            return total <= bound && unavailable == 0 ? 0 : 1;
        }
        finally
        {
            foreach (VeilKeyService service in services)
            {
                await service.DisposeAsync();
            }

            foreach (RedisLimitsStore store in stores)
            {
                await store.DisposeAsync();
            }

            foreach (StreamWriter audit in audits)
            {
                await audit.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static float[] Unit(float[] vector)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        return [.. vector.Select(x => x / norm)];
    }
}
