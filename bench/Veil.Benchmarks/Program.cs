using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Veil.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Veil.Benchmarks.VectorEncryptionBenchmarks).Assembly).Run(args);
