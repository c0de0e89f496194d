namespace Veil.Benchmarks.Harness;

/// <summary><c>veil bench</c> in one call: the measurement <see cref="BenchOptions"/> asks for, and its report.</summary>
public static class BenchRun
{
    /// <summary>
    /// Checks <paramref name="options"/> (<see cref="BenchOptions.Validate"/>), then runs the sealed measurement, the
    /// PostgreSQL scale and rotation measurements, or the default run (<see cref="BenchReport.Run"/>), and writes the
    /// report to <paramref name="output"/> (a table, or JSON where <see cref="BenchOptions.Json"/> applies).
    /// </summary>
    /// <param name="options">What to measure.</param>
    /// <param name="output">Where the report goes.</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <exception cref="ArgumentException">A setting is out of range (nothing was measured).</exception>
    public static void Run(BenchOptions options, TextWriter output, TextWriter progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        if (options.Sealed)
        {
            RunSealed(options, output, progress);
        }
        else if (options.Postgres is { } connectionString)
        {
            if (options.Rows > 0)
            {
                var scale = new PostgresScaleOptions(connectionString, options.Rows, Path.GetFullPath(options.Centres!))
                {
                    Queries = options.Queries,
                    EfSearch = options.EfSearch,
                    RerankCandidates = options.RerankCandidates,
                    IndexOrderRows = Math.Max(0, options.IndexOrderRows),
                };
                PostgresScaleReport.Write(output, PostgresScaleBench.Measure(scale, progress));
            }

            if (options.RotationRows > 0)
            {
                RotationBench.Write(output, RotationBench.Measure(connectionString, options.RotationRows, options.RotationTenants, options.RotationBatchSize, options.RotationParallel, progress));
            }
        }
        else
        {
            BenchReport.Run(
                output, progress, options.Dimensions, options.Rounds, options.BatchRows, options.StoreRows, options.StoreRounds, options.StoreQueries, options.EmbeddingTexts, options.PackagesFolder, options.InstallCommand, options.Json);
        }
    }

    private static void RunSealed(BenchOptions options, TextWriter output, TextWriter progress)
    {
        if (options.Postgres is { } connectionString)
        {
            SealedPostgresBenchResult onPostgres = SealedPostgresBench.Measure(connectionString, options.Corpus, BenchReport.StoreDimensions, options.SealedRows, options.SealedQueries, options.SealedEfSearch, progress);
            if (options.Json)
            {
                SealedBenchReport.WriteJson(output, onPostgres);
            }
            else
            {
                SealedBenchReport.WriteTable(output, onPostgres);
            }

            return;
        }

        SealedBenchResult result = SealedBench.Measure(options.Corpus, BenchReport.StoreDimensions, options.SealedRows, options.SealedQueries, progress, options.SealedFormat);
        if (options.Json)
        {
            SealedBenchReport.WriteJson(output, result);
        }
        else
        {
            SealedBenchReport.WriteTable(output, result);
        }
    }
}
