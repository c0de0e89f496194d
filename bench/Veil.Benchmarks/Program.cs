using BenchmarkDotNet.Running;
using Veil.Benchmarks;

// dotnet run -c Release --project bench/Veil.Benchmarks -- --filter '*'
// The PostgreSQL benchmarks need a server: they run only when VEIL_PGVECTOR_CONNECTION is set.
var types = typeof(VectorEncryptionBenchmarks).Assembly.GetTypes()
    .Where(t => t.IsPublic && !t.IsAbstract && t.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), false)))
    .ToList();
if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(PostgresBenchmarks.ConnectionVariable)))
{
    types.Remove(typeof(PostgresBenchmarks));
    Console.Error.WriteLine($"PostgresBenchmarks skipped: {PostgresBenchmarks.ConnectionVariable} is not set.");
}

BenchmarkSwitcher.FromTypes([.. types]).Run(args);
