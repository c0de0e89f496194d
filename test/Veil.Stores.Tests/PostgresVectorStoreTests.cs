using Microsoft.Extensions.VectorData;
using Npgsql;
using Veil.Stores.Postgres;
using Veil.Stores.Tests.Conformance;

namespace Veil.Stores.Tests;

/// <summary>
/// Behaviour specific to the PostgreSQL + pgvector store, against a real server: HNSW indexes and their parameters,
/// index use, ef_search, transactional upserts, exact search, schemas and errors.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
[RequiresEnvironmentVariable(PostgresStoreFixture.ConnectionVariable, PostgresStoreFixture.Purpose)]
public sealed class PostgresVectorStoreTests(PostgresStoreFixture fixture)
{
    private const int Dimensions = 32;

    // The planner prefers an HNSW scan to a sequential scan plus sort only once the table is big enough: with fresh
    // statistics, 2 000 × 128 is (1 000 × 32 or × 128 is not).
    private const int IndexedCount = 2000;
    private const int IndexedDimensions = 128;

    private PostgresVectorStore Store => fixture.Store;

    [StoreFact]
    public async Task EnsureCollectionExistsAsync_WhenHnswParametersAreSet_CreatesTheIndexWithThem()
    {
        var collection = Store.GetCollection<long, RandomRecord>(NewName(), new PostgresCollectionOptions
        {
            Definition = RandomRecord.Definition(DistanceFunction.CosineDistance, IndexKind.Hnsw),
            HnswM = 8,
            HnswEfConstruction = 40,
        });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var indexes = await IndexDefinitionsAsync(collection.Name);

            var hnsw = Assert.Single(indexes, d => d.Contains("USING hnsw", StringComparison.Ordinal));
            Assert.Contains("(\"Vector\" vector_cosine_ops)", hnsw, StringComparison.Ordinal);
            Assert.Contains("m='8'", hnsw, StringComparison.Ordinal);
            Assert.Contains("ef_construction='40'", hnsw, StringComparison.Ordinal);
            Assert.Equal(2, indexes.Count); // the HNSW index and the primary key
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreTheory]
    [InlineData(DistanceFunction.EuclideanDistance, "vector_l2_ops")]
    [InlineData(DistanceFunction.EuclideanSquaredDistance, "vector_l2_ops")]
    [InlineData(DistanceFunction.DotProductSimilarity, "vector_ip_ops")]
    [InlineData(DistanceFunction.NegativeDotProductSimilarity, "vector_ip_ops")]
    [InlineData(DistanceFunction.CosineSimilarity, "vector_cosine_ops")]
    [InlineData(DistanceFunction.ManhattanDistance, "vector_l1_ops")]
    public async Task EnsureCollectionExistsAsync_WhenDistanceFunctionIsGiven_IndexesWithItsOperatorClass(string distanceFunction, string operatorClass)
    {
        var collection = Store.GetCollection<long, RandomRecord>(NewName(), RandomRecord.Definition(distanceFunction, IndexKind.Hnsw));
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var hnsw = Assert.Single(await IndexDefinitionsAsync(collection.Name), d => d.Contains("USING hnsw", StringComparison.Ordinal));
            Assert.Contains(operatorClass, hnsw, StringComparison.Ordinal);
            Assert.Contains("m='16'", hnsw, StringComparison.Ordinal);
            Assert.Contains("ef_construction='64'", hnsw, StringComparison.Ordinal);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task EnsureCollectionExistsAsync_WhenIndexKindIsFlat_CreatesOnlyThePrimaryKey()
    {
        var collection = Store.GetCollection<long, RandomRecord>(NewName(), RandomRecord.Definition(DistanceFunction.EuclideanDistance, IndexKind.Flat));
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var index = Assert.Single(await IndexDefinitionsAsync(collection.Name));
            Assert.Contains("UNIQUE INDEX", index, StringComparison.Ordinal);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task ExplainSearchAsync_WhenCollectionHasHnswIndex_TopKSearchScansTheIndex()
    {
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, IndexedCount, seed: 1, IndexedDimensions);
        var query = RandomVector(new Random(2), IndexedDimensions);

        var plan = string.Join("\n", await scope.Collection.ExplainSearchAsync(query, top: 10));

        Assert.Contains("Index Scan using", plan, StringComparison.Ordinal);
        Assert.Contains("_hnsw_", plan, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task CountAsync_CountsWhatGetAsyncReturnsForTheSameFilter()
    {
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Flat, 300, seed: 19);
        int bucket = 7;

        long all = await scope.Collection.CountAsync(r => true);
        long some = await scope.Collection.CountAsync(r => r.Bucket == bucket || r.Key >= 290);
        long none = await scope.Collection.CountAsync(r => r.Key < 0);

        Assert.Equal(300, all);
        Assert.Equal(
            await AsyncEnumerable.CountAsync(scope.Collection.GetAsync(r => r.Bucket == bucket || r.Key >= 290, 1000)),
            some);
        Assert.Equal(6 + 10, some); // keys 7, 57, …, 257 and 290–299
        Assert.Equal(0, none);
    }

    [StoreFact]
    public async Task CreateIndexesAsync_WhenCreationWasDeferred_BuildsTheHnswIndexTheSearchThenScans()
    {
        using var store = IndexOnlyStore();
        await using var scope = await CreateFilledAsync(
            DistanceFunction.EuclideanDistance, IndexKind.Hnsw, IndexedCount, seed: 17, IndexedDimensions, new PostgresCollectionOptions { DeferIndexCreation = true }, store);
        var query = RandomVector(new Random(18), IndexedDimensions);

        var indexesBefore = await IndexDefinitionsAsync(scope.Collection.Name);
        var planBefore = string.Join("\n", await scope.Collection.ExplainSearchAsync(query, top: 10));
        await scope.Collection.CreateIndexesAsync();
        await scope.Collection.CreateIndexesAsync(); // idempotent
        var indexesAfter = await IndexDefinitionsAsync(scope.Collection.Name);
        var planAfter = string.Join("\n", await scope.Collection.ExplainSearchAsync(query, top: 10));

        Assert.Contains("UNIQUE INDEX", Assert.Single(indexesBefore), StringComparison.Ordinal);
        Assert.DoesNotContain("hnsw", planBefore, StringComparison.Ordinal);
        Assert.Single(indexesAfter, d => d.Contains("USING hnsw", StringComparison.Ordinal));
        Assert.Equal(2, indexesAfter.Count);
        Assert.Contains("Index Scan using", planAfter, StringComparison.Ordinal);
        Assert.Contains("_hnsw_", planAfter, StringComparison.Ordinal);
        Assert.Equal(10, (await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 10))).Count);
    }

    [StoreFact]
    public async Task ExplainSearchAsync_WhenIndexKindIsFlat_ScansTheTable()
    {
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Flat, count: 200, seed: 3);

        var plan = string.Join("\n", await scope.Collection.ExplainSearchAsync(RandomVector(new Random(4), Dimensions), top: 10));

        Assert.Contains("Seq Scan", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("hnsw", plan, StringComparison.Ordinal);
    }

    [StoreFact]
    public async Task SearchAsync_WhenTopExceedsEfSearch_RaisesEfSearchAndReturnsTopRows()
    {
        // pgvector's HNSW scan (without iterative scans) yields at most ef_search candidates: with the default 40 a
        // re-ranking over-fetch of top 100 used to get 40 rows, and an explicit ef_search of 5 cut a top 20 to 5. The
        // store raises ef_search to top + skip, and past 1000 turns on the iterative scan.
        using var store = IndexOnlyStore();
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, IndexedCount, seed: 5, IndexedDimensions, store: store);
        var query = RandomVector(new Random(6), IndexedDimensions);
        Assert.Contains("_hnsw_", string.Join("\n", await scope.Collection.ExplainSearchAsync(query, top: 100)), StringComparison.Ordinal);

        var overFetch = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 100));
        var skipped = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 30, new VectorSearchOptions<RandomRecord> { Skip = 30 }));
        var pastTheCap = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 1200));
        scope.Collection.EfSearch = 5;
        var explicitEf = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 20));

        Assert.Equal(100, overFetch.Count);
        Assert.Equal(30, skipped.Count);
        Assert.Equal(1200, pastTheCap.Count);
        Assert.Equal(20, explicitEf.Count);
    }

    [StoreFact]
    public async Task SearchAsync_WhenOptionsCarryEfSearch_AppliesItToThatSearchOnly()
    {
        // Without the iterative scan, a filtered HNSW search keeps the matching rows among ef_search candidates: half the
        // rows match, so ef_search 40 yields about 20 of a top 30 and ef_search 400 all 30 (proof the value reached the scan).
        using var store = IndexOnlyStore();
        await using var scope = await CreateFilledAsync(
            DistanceFunction.EuclideanDistance, IndexKind.Hnsw, IndexedCount, seed: 15, IndexedDimensions, new PostgresCollectionOptions { IterativeScanWhenFiltered = false }, store);
        var query = RandomVector(new Random(16), IndexedDimensions);
        var filtered = new PostgresVectorSearchOptions<RandomRecord> { Filter = r => r.Bucket < 25 };
        Assert.Contains("_hnsw_", string.Join("\n", await scope.Collection.ExplainSearchAsync(query, top: 30, filtered)), StringComparison.Ordinal);

        var before = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 30, filtered));
        var wide = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 30, new PostgresVectorSearchOptions<RandomRecord> { Filter = r => r.Bucket < 25, EfSearch = 400 }));
        var after = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 30, filtered));

        Assert.InRange(before.Count, 1, 29);
        Assert.Equal(30, wide.Count);
        Assert.Equal(before.Select(r => r.Record.Key), after.Select(r => r.Record.Key));
        Assert.Null(scope.Collection.EfSearch);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresVectorSearchOptions<RandomRecord> { EfSearch = 1001 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new PostgresVectorSearchOptions<RandomRecord> { EfSearch = 0 });
    }

    [StoreFact]
    public async Task SearchAsync_WhenEfSearchIsSet_DoesNotLeakToThePooledConnection()
    {
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, count: 50, seed: 7);
        scope.Collection.EfSearch = 7;
        _ = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(RandomVector(new Random(8), Dimensions), top: 3));

        await using var connection = await Store.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('hnsw.ef_search', true)", connection);
        Assert.NotEqual("7", await command.ExecuteScalarAsync() as string);
    }

    [StoreTheory]
    [InlineData(DistanceFunction.EuclideanDistance)]
    [InlineData(DistanceFunction.CosineDistance)]
    [InlineData(DistanceFunction.DotProductSimilarity)]
    [InlineData(DistanceFunction.ManhattanDistance)]
    public async Task SearchAsync_WhenIndexKindIsFlat_EqualsBruteForceOnAThousandRandomVectors(string distanceFunction)
    {
        const int Top = 10;
        await using var scope = await CreateFilledAsync(distanceFunction, IndexKind.Flat, count: 1000, seed: 9);
        var random = new Random(10);

        for (var q = 0; q < 5; q++)
        {
            var query = RandomVector(random, Dimensions);
            var expected = BruteForce(scope.Vectors, query, distanceFunction, Top);

            var actual = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, Top));

            Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Record.Key));
            for (var i = 0; i < Top; i++)
            {
                Assert.Equal(expected[i].Score, actual[i].Score!.Value, 1e-4 * Math.Max(1, Math.Abs(expected[i].Score)));
            }
        }
    }

    [StoreFact]
    public async Task SearchAsync_WhenHnswWithLargeEfSearch_FindsNearlyAllExactNeighbours()
    {
        const int Top = 10;
        await using var scope = await CreateFilledAsync(DistanceFunction.CosineDistance, IndexKind.Hnsw, count: 1000, seed: 11);
        scope.Collection.EfSearch = 100;
        var random = new Random(12);
        var found = 0;
        const int Queries = 20;

        for (var q = 0; q < Queries; q++)
        {
            var query = RandomVector(random, Dimensions);
            var expected = BruteForce(scope.Vectors, query, DistanceFunction.CosineDistance, Top).Select(e => e.Key).ToHashSet();
            var actual = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, Top));
            found += actual.Count(a => expected.Contains(a.Record.Key));
        }

        Assert.True(found >= 0.9 * Queries * Top, $"HNSW recall@10 was {found / (double)(Queries * Top):F3}");
    }

    [StoreFact]
    public async Task SearchAsync_WhenFilteredOverHnsw_ReturnsTheTopMatchingRows()
    {
        // With a selective filter a plain HNSW scan would find few matches among its ef_search candidates; the
        // iterative scan keeps going, so the search returns the exact filtered top-k here.
        await using var scope = await CreateFilledAsync(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, count: 1000, seed: 13);
        var query = RandomVector(new Random(14), Dimensions);
        var expected = BruteForce(scope.Vectors.Where((_, i) => i % 50 == 0).ToArray(), query, DistanceFunction.EuclideanDistance, 5, step: 50);

        var actual = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(
            query, top: 5, new VectorSearchOptions<RandomRecord> { Filter = r => r.Bucket == 0 }));

        Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Record.Key));
    }

    [StoreFact]
    public async Task UpsertAsync_WhenAStatementFailsOnTheServer_RollsBackTheWholeUpsert()
    {
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { RowsPerInsert = 2 });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync([Record(1, "original-1", [1, 0, 0, 0]), Record(2, "original-2", [0, 1, 0, 0])]);

            // Two rows per INSERT: the first two statements (an update of key 1, then new rows) succeed on the server
            // before the third fails there (pgvector rejects NaN), inside the same transaction.
            var batch = new[]
            {
                Record(1, "new-1", [1, 1, 0, 0]), Record(10, "new-10", [0, 0, 1, 0]),
                Record(11, "new-11", [0, 0, 0, 1]), Record(12, "new-12", [1, 0, 1, 0]),
                Record(13, "bad", [float.NaN, 0, 0, 0]), Record(14, "new-14", [0, 1, 1, 0]),
            };
            var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(batch));
            Assert.IsType<PostgresException>(e.InnerException);
            Assert.Equal("Upsert", e.OperationName);

            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
            Assert.Equal([(1, "original-1"), (2, "original-2")], rows.Select(r => (r.Key, r.Name!)).Order());

            await collection.UpsertAsync(Record(3, "after", [0, 0, 1, 1]));
            Assert.Equal("after", (await collection.GetAsync(3))?.Name);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task UpsertAsync_WhenBatchSpansManyStatementsAndRepeatsAKey_StoresEveryRecordOnceWithTheLastValue()
    {
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { RowsPerInsert = 7 });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var records = Enumerable.Range(0, 200).Select(i => Record(i, "v" + i, [i, 1, 0, 0])).ToList();
            records.Add(Record(42, "last", [0, 0, 0, 1]));

            await collection.UpsertAsync(records);

            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 1000));
            Assert.Equal(200, rows.Count);
            Assert.Equal("last", rows.Single(r => r.Key == 42).Name);
            Assert.Equal("v199", rows.Single(r => r.Key == 199).Name);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task WriteVector_WritesWhatTheServersVectorSendWrites()
    {
        // The COPY path writes vectors as raw field bytes, so they must be byte for byte pgvector's binary format.
        var bytes = new byte[PostgresCopyRound.VectorWireLength(2)];
        PostgresCopyRound.WriteVector([1f, -2.5f], bytes);
        Assert.Equal(Convert.FromHexString("000200003F800000C0200000"), bytes);

        var random = new Random(5);
        float[][] vectors =
        [
            [0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, 1e-38f, 3.4028235e38f],
            .. Enumerable.Range(0, 20).Select(i => Enumerable.Range(0, 1 + (i * 37 % 300)).Select(_ => (float)(random.NextDouble() - 0.5) * MathF.Pow(10, random.Next(-30, 30))).ToArray()),
        ];
        foreach (float[] vector in vectors)
        {
            var written = new byte[PostgresCopyRound.VectorWireLength(vector.Length)];
            PostgresCopyRound.WriteVector(vector, written);
            await using var command = Store.DataSource.CreateCommand("SELECT vector_send($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = new Pgvector.Vector(vector) });
            Assert.Equal((byte[])(await command.ExecuteScalarAsync())!, written);
        }
    }

    [StoreFact]
    public async Task CopyRoundWriteAsync_WritesEveryValueAsNpgsqlWritesItAsAParameter()
    {
        // The COPY path encodes values itself: each column's binary form (the type's send function) must equal what
        // Npgsql stores for the same value as a parameter, edge values included.
        string[] columns = ["t text", "i int4", "l int8", "f float4", "d float8", "b bool", "y bytea", "u uuid", "ts timestamptz", "v vector(3)"];
        object?[][] rows =
        [
            ["", 0, 0L, 0f, 0d, false, Array.Empty<byte>(), Guid.Empty, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero), new float[] { 0, 0, 0 }],
            ["h\u00e9llo \u2713 \U0001D11E", int.MinValue, long.MaxValue, -0f, double.NaN, true, new byte[] { 0, 255, 1 }, Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
                new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5)).AddTicks(7), new float[] { 1.5f, -2f, 3e-38f }],
            [null, null, null, null, null, null, null, null, null, null],
            [new string('x', 10_000), int.MaxValue, long.MinValue, float.PositiveInfinity, double.Epsilon, false, new byte[300], Guid.NewGuid(), DateTimeOffset.MaxValue, new float[] { float.MaxValue, float.MinValue, -0f }],
            ["tab\tnewline\n", -1, -1L, float.MinValue, -double.MaxValue, true, new byte[] { 0 }, Guid.NewGuid(), DateTimeOffset.MinValue, new float[] { 1, 2, 3 }],
            ["z", 7, 1L << 40, 1e-45f, 1e300, true, new byte[] { 9 }, Guid.NewGuid(), new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(-3), new float[] { -1e-45f, 0, 1 }],
        ];
        string byParameter = NewName(), byCopy = NewName();
        await using var connection = await Store.DataSource.OpenConnectionAsync();
        foreach (string table in new[] { byParameter, byCopy })
        {
            await using var create = new NpgsqlCommand($"CREATE TABLE \"{table}\" (id int PRIMARY KEY, {string.Join(", ", columns)})", connection);
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            string[] names = columns.Select(c => c.Split(' ')[0]).ToArray();
            object StorableValue(object? value) => value is float[] vector ? new Pgvector.Vector(vector) : PostgresValues.ToParameterValue(value);
            using var round = new PostgresCopyRound();
            for (int id = 0; id < rows.Length; id++)
            {
                await using var insert = new NpgsqlCommand(
                    $"INSERT INTO \"{byParameter}\" (id, {string.Join(", ", names)}) VALUES ({string.Join(", ", Enumerable.Range(1, names.Length + 1).Select(n => "$" + n))})", connection);
                insert.Parameters.Add(new NpgsqlParameter { Value = id });
                foreach (object? value in rows[id])
                {
                    insert.Parameters.Add(new NpgsqlParameter { Value = StorableValue(value) });
                }

                await insert.ExecuteNonQueryAsync();
                round.Add(id, [id, .. rows[id].Select(StorableValue)]);
            }

            await round.WriteAsync(connection, $"COPY \"{byCopy}\" (id, {string.Join(", ", names)}) FROM STDIN (FORMAT BINARY)", CancellationToken.None);

            string[] sends = ["textsend", "int4send", "int8send", "float4send", "float8send", "boolsend", "byteasend", "uuid_send", "timestamptz_send", "vector_send"];
            string sameBytes = string.Join(" AND ", names.Zip(sends, (name, send) => $"{send}(p.{name}) IS NOT DISTINCT FROM {send}(c.{name})"));
            await using var compare = new NpgsqlCommand(
                $"SELECT count(*) FILTER (WHERE {sameBytes}), count(*) FROM \"{byParameter}\" p JOIN \"{byCopy}\" c USING (id)", connection);
            await using var reader = await compare.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal((rows.Length, rows.Length), (reader.GetInt64(0), reader.GetInt64(1)));
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS \"{byParameter}\", \"{byCopy}\"", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [StoreFact]
    public async Task UpsertAsync_WhenAnotherTransactionIsWritingTheTable_WaitsForItsRowAndUpdatesIt()
    {
        // A bulk upsert appends straight into the table only under a lock no other writer holds; here another
        // transaction has inserted key 5 and not committed, so the upsert must stage and update that row once it is
        // committed, not append a duplicate key and fail.
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { CopyFromRows = 10, CopyRoundRows = 20 });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await using var other = await Store.DataSource.OpenConnectionAsync();
            await using var transaction = await other.BeginTransactionAsync();
            await using (var insert = new NpgsqlCommand($"INSERT INTO \"{collection.Name}\" (\"Key\", \"Name\") VALUES (5, 'other')", other, transaction))
            {
                await insert.ExecuteNonQueryAsync();
            }

            Task upsert = collection.UpsertAsync(Enumerable.Range(0, 50).Select(i => Record(i, "bulk" + i, [i, 1, 0, 0])));
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.False(upsert.IsCompleted);

            await transaction.CommitAsync();
            await upsert;
            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
            Assert.Equal(50, rows.Count);
            Assert.Equal("bulk5", rows.Single(r => r.Key == 5).Name);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task UpsertAsync_WhileABulkUpsertAppends_AnotherWriterWaitsForItThenSucceeds()
    {
        // The appending upsert holds the table's SHARE ROW EXCLUSIVE lock until it commits: a concurrent write waits
        // (it is not refused), and lands after it.
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { CopyFromRows = 10, CopyRoundRows = 20 });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            using var paused = new SemaphoreSlim(0);
            using var resume = new SemaphoreSlim(0);
            IEnumerable<ConformanceRecord> Produce()
            {
                for (int i = 0; i < 60; i++)
                {
                    if (i == 45)
                    {
                        // Two rounds are written (appended), the third is being read.
                        paused.Release();
                        resume.Wait();
                    }

                    yield return Record(i, "bulk" + i, [i, 1, 0, 0]);
                }
            }

            Task bulk = Task.Run(() => collection.UpsertAsync(Produce()));
            await paused.WaitAsync();
            Task single = collection.UpsertAsync(Record(1000, "single", [0, 0, 0, 1]));
            bool waited;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));
                waited = !single.IsCompleted;
            }
            finally
            {
                resume.Release();
            }

            await Task.WhenAll(bulk, single);
            Assert.True(waited, "the concurrent upsert completed while the bulk upsert held the table");
            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
            Assert.Equal(61, rows.Count);
            Assert.Equal("single", rows.Single(r => r.Key == 1000).Name);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreTheory]
    [InlineData(1_000)]
    [InlineData(700)]
    public async Task UpsertAsync_WhenALazySequenceFeedsTheCopy_WritesEarlierRoundsBeforeTheSequenceEndsAndTheLastRecordOfAKeyWins(int copyRoundRows)
    {
        // The 6 002 rows are written in seven or nine rounds, up to three read ahead of the one being written. The first
        // round holds key 7, already stored, so it is staged and moved; the next are appended; key 42 comes again in the
        // last round (staged again, updating the row the first round wrote), and so does key 5 998 (in the same round
        // at 700 rows a round, the round after at 1 000): its later row is written.
        string name = NewName();
        var options = new PostgresCollectionOptions { CopyFromRows = 50, CopyRoundRows = copyRoundRows, CopyRoundsAhead = 3 };
        var collection = Store.GetCollection<int, ConformanceRecord>(name, options);
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync(Record(7, "before", [1, 0, 0, 0]));
            long copiedWhileProducing = -1;
            IEnumerable<ConformanceRecord> Produce()
            {
                for (int i = 0; i < 6000; i++)
                {
                    if (i == 5500)
                    {
                        // The round being read is at least the sixth, so the upsert has waited for the first two to be
                        // written: they are in the table's pages already (not yet visible, the transaction is open) while
                        // the sequence is still being produced. The row of key 7 alone takes one 8 KiB page.
                        using var size = Store.DataSource.CreateCommand("SELECT pg_relation_size(c.oid) FROM pg_class c WHERE c.relname = $1 AND c.relkind = 'r'");
                        size.Parameters.Add(new NpgsqlParameter { Value = name });
                        copiedWhileProducing = (long)size.ExecuteScalar()!;
                    }

                    yield return Record(i, "v" + i, [i, 1, 0, 0]);
                }

                yield return Record(42, "last", [0, 0, 0, 1]);
                yield return Record(5998, "again", [0, 0, 1, 1]);
            }

            await collection.UpsertAsync(Produce());

            Assert.True(copiedWhileProducing > 8192, $"{copiedWhileProducing} bytes in the table's pages when row 5 500 was produced");
            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 10_000));
            Assert.Equal(6000, rows.Count);
            Assert.Equal("last", rows.Single(r => r.Key == 42).Name);
            Assert.Equal("again", rows.Single(r => r.Key == 5998).Name);
            Assert.Equal("v7", rows.Single(r => r.Key == 7).Name);
            Assert.Equal("v5999", rows.Single(r => r.Key == 5999).Name);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreTheory]
    [InlineData(null)]
    [InlineData(PostgresCollectionOptions.MaxToastTupleTarget)]
    public async Task UpsertAsync_WhenRowsHoldTwoKilobyteStrings_KeepsThemInTheTableOnlyWithToastTupleTarget(int? toastTupleTarget)
    {
        // About 2 KiB of base64 per row, like a sealed 384-d vector: over PostgreSQL's default 2 032-byte threshold.
        static string Blob(int key) => Convert.ToBase64String(new Random(key).GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 1564));
        static ConformanceRecord Row(int key)
        {
            ConformanceRecord record = Record(key, "v" + key, [key, 1, 0, 0]);
            record.EmbeddingInfo = Blob(key);
            return record;
        }

        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { CopyFromRows = 50, ToastTupleTarget = toastTupleTarget });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync(Enumerable.Range(0, 200).Select(Row)); // binary COPY
            await collection.UpsertAsync(Enumerable.Range(200, 10).Select(Row)); // multi-row INSERT

            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync([0, 7, 199, 200, 209]));
            Assert.Equal(5, rows.Count);
            Assert.All(rows, r => Assert.Equal(Blob(r.Key), r.EmbeddingInfo));
            using var toast = Store.DataSource.CreateCommand(
                $"SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = '\"{collection.Name}\"'::regclass");
            long toastBytes = (long)(await toast.ExecuteScalarAsync())!;
            if (toastTupleTarget is null)
            {
                Assert.True(toastBytes > 0, "Without the option PostgreSQL moves 2 KiB values to TOAST.");
            }
            else
            {
                Assert.Equal(0, toastBytes);
            }
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreTheory]
    [InlineData(4_096)]
    [InlineData(700)]
    public async Task UpsertAsync_WhenARecordFailsPartWayThroughTheCopy_WritesNothingAndTheConnectionStaysUsable(int copyRoundRows)
    {
        // 700: record 2 000 fails in the third round, after two rounds were moved into the table (and are rolled back).
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), new PostgresCollectionOptions { CopyFromRows = 50, CopyRoundRows = copyRoundRows });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync(Record(1, "original", [1, 0, 0, 0]));
            IEnumerable<ConformanceRecord> Produce()
            {
                for (int i = 0; i < 3000; i++)
                {
                    // Record 2 000 has the wrong dimension, long after the COPY has started.
                    yield return Record(i, "new-" + i, i == 2000 ? [1, 0, 0] : [i, 1, 0, 0]);
                }
            }

            var e = await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(Produce()));
            Assert.Contains("2000", e.Message, StringComparison.Ordinal);

            var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 5000));
            Assert.Equal([(1, "original")], rows.Select(r => (r.Key, r.Name!)));
            await collection.UpsertAsync(Enumerable.Range(0, 60).Select(i => Record(i, "after", [i, 0, 1, 0])));
            Assert.Equal(60, (await AsyncEnumerable.ToListAsync(collection.GetAsync(r => r.Name == "after", top: 100))).Count);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task UpsertAsync_WhenTheServerRefusesARoundWhileLaterRoundsAreRead_StopsReadingAndReportsTheServersError()
    {
        // Rounds of 700, three ahead: the server refuses the third round (a CHECK constraint on key 1 500) while the
        // upsert reads on. It must stop reading within the rounds it may hold, report the server's error, and leave
        // nothing written and the connection usable.
        var options = new PostgresCollectionOptions { CopyFromRows = 50, CopyRoundRows = 700, CopyRoundsAhead = 3 };
        var collection = Store.GetCollection<int, ConformanceRecord>(NewName(), options);
        await collection.EnsureCollectionExistsAsync();
        try
        {
            using (var check = Store.DataSource.CreateCommand($"ALTER TABLE \"{collection.Name}\" ADD CONSTRAINT not_1500 CHECK (\"Key\" <> 1500)"))
            {
                await check.ExecuteNonQueryAsync();
            }

            int produced = 0;
            IEnumerable<ConformanceRecord> Produce()
            {
                for (int i = 0; i < 20_000; i++)
                {
                    produced++;
                    yield return Record(i, "new-" + i, [i, 1, 0, 0]);
                }
            }

            var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Produce()));
            Assert.Equal(PostgresErrorCodes.CheckViolation, Assert.IsType<PostgresException>(e.InnerException).SqlState);

            // At most the two rounds before the refused one, the refused one, and the rounds read while it was queued.
            Assert.InRange(produced, 2_100, (2 + options.CopyRoundsAhead) * 700);
            Assert.Empty(await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 10)));
            await collection.UpsertAsync(Enumerable.Range(0, 60).Select(i => Record(i, "after", [i, 0, 1, 0])));
            Assert.Equal(60, (await AsyncEnumerable.ToListAsync(collection.GetAsync(r => r.Name == "after", top: 100))).Count);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task CollectionName_WhenItContainsQuotesAndSql_IsTreatedAsAName()
    {
        var victim = Store.GetCollection<int, ConformanceRecord>(NewName());
        var hostileName = "x\"; DROP TABLE \"" + victim.Name + "\"; --";
        var hostile = Store.GetCollection<int, ConformanceRecord>(hostileName);
        await victim.EnsureCollectionExistsAsync();
        try
        {
            await victim.UpsertAsync(Record(1, "safe", [1, 0, 0, 0]));
            await hostile.EnsureCollectionExistsAsync();
            await hostile.UpsertAsync(Record(2, "' OR 1=1 --", [0, 1, 0, 0]));
            var hostileValue = "' OR 1=1 --";

            Assert.Equal([2], (await AsyncEnumerable.ToListAsync(hostile.GetAsync(r => r.Name == hostileValue, top: 10))).Select(r => r.Key));
            Assert.Equal("safe", (await victim.GetAsync(1))?.Name);
            Assert.Contains(hostileName, await AsyncEnumerable.ToListAsync(Store.ListCollectionNamesAsync()));
            await Store.EnsureCollectionDeletedAsync(hostileName);
            Assert.True(await victim.CollectionExistsAsync());
            Assert.False(await hostile.CollectionExistsAsync());
        }
        finally
        {
            await hostile.EnsureCollectionDeletedAsync();
            await victim.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task GetCollection_WhenSchemaIsGiven_CreatesTheTableThere()
    {
        var schema = "veil_" + Guid.NewGuid().ToString("N")[..8];
        using var store = new PostgresVectorStore(Store.DataSource, schema);
        var collection = store.GetCollection<string, KeyedRecord<string>>("docs");
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync(new KeyedRecord<string> { Key = "a", Text = "alpha", Vector = [1, 0] });

            Assert.Equal(["docs"], await AsyncEnumerable.ToListAsync(store.ListCollectionNamesAsync()));
            Assert.DoesNotContain("docs", await AsyncEnumerable.ToListAsync(Store.ListCollectionNamesAsync()));
            Assert.Equal("alpha", (await collection.GetAsync("a"))?.Text);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
            await using var connection = await Store.DataSource.OpenConnectionAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [StoreFact]
    public async Task Operations_WhenCollectionIsMissing_ThrowVectorStoreExceptionNamingIt()
    {
        var collection = Store.GetCollection<int, ConformanceRecord>("missing_" + Guid.NewGuid().ToString("N")[..8]);

        var upsert = await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Record(1, "a", [1, 0, 0, 0])));
        var get = await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync(1));
        var search = await Assert.ThrowsAsync<VectorStoreException>(() => AsyncEnumerable.ToListAsync(collection.SearchAsync(new float[] { 1, 0, 0, 0 }, 1)).AsTask());

        foreach (var e in new[] { upsert, get, search })
        {
            Assert.Contains($"'{collection.Name}' does not exist", e.Message, StringComparison.Ordinal);
            Assert.Equal(collection.Name, e.CollectionName);
            Assert.Equal("postgresql", e.VectorStoreSystemName);
        }

        Assert.Equal("Upsert", upsert.OperationName);
        Assert.Equal("Search", search.OperationName);
    }

    [StoreFact]
    public async Task GetDynamicCollection_WhenRecordsAreDictionaries_RoundTripsAndSearches()
    {
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(string)),
                new VectorStoreDataProperty("Category", typeof(string)),
                new VectorStoreVectorProperty("Vector", typeof(ReadOnlyMemory<float>), 2) { DistanceFunction = DistanceFunction.CosineSimilarity },
            ],
        };
        var collection = Store.GetDynamicCollection(NewName(), definition);
        await collection.EnsureCollectionExistsAsync();
        try
        {
            await collection.UpsertAsync(
            [
                new Dictionary<string, object?> { ["Id"] = "a", ["Category"] = "x", ["Vector"] = new ReadOnlyMemory<float>([1, 0]) },
                new Dictionary<string, object?> { ["Id"] = "b", ["Category"] = "y", ["Vector"] = new ReadOnlyMemory<float>([0, 1]) },
            ]);

            var hit = Assert.Single(await AsyncEnumerable.ToListAsync(collection.SearchAsync(new float[] { 0, 1 }, 1)));
            var filtered = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => (string)r["Category"]! == "x", 10));

            Assert.Equal("b", hit.Record["Id"]);
            Assert.Equal(1.0, hit.Score!.Value, 1e-6);
            Assert.Equal("a", Assert.Single(filtered)["Id"]);
            Assert.Equal(["a", "b"], (await AsyncEnumerable.ToListAsync(collection.GetAsync(["b", "a"]))).Select(r => (string)r["Id"]!).Order());
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public async Task Store_WhenDataSourceLacksUseVector_FailsWithAMessageThatSaysSo()
    {
        await using var plain = NpgsqlDataSource.Create(fixture.ConnectionString! + ";Maximum Pool Size=1");
        using var store = new PostgresVectorStore(plain);
        var collection = store.GetCollection<int, KeyedRecord<int>>(NewName());
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(new KeyedRecord<int> { Key = 1, Vector = [1, 0] }));
            Assert.Contains("UseVector()", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    [StoreFact]
    public void GetService_WhenAskedForMetadata_DescribesTheStore()
    {
        var metadata = Assert.IsType<VectorStoreMetadata>(Store.GetService(typeof(VectorStoreMetadata)));
        var collection = Store.GetCollection<int, ConformanceRecord>("items");
        var collectionMetadata = Assert.IsType<VectorStoreCollectionMetadata>(collection.GetService(typeof(VectorStoreCollectionMetadata)));

        Assert.Equal("postgresql", metadata.VectorStoreSystemName);
        Assert.Equal("postgres", metadata.VectorStoreName);
        Assert.Equal("items", collectionMetadata.CollectionName);
        Assert.Same(Store, Store.GetService(typeof(PostgresVectorStore)));
        Assert.Same(Store.DataSource, collection.GetService(typeof(NpgsqlDataSource)));
    }

    internal static List<(long Key, double Score)> BruteForce(float[][] vectors, float[] query, string distanceFunction, int top, int step = 1)
    {
        var scored = vectors.Select((v, i) => (Key: (long)i * step, Score: ExactScore(distanceFunction, v, query))).ToList();
        var higherIsBetter = distanceFunction is DistanceFunction.DotProductSimilarity or DistanceFunction.CosineSimilarity;
        return (higherIsBetter ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score)).ThenBy(s => s.Key).Take(top).ToList();
    }

    private static double ExactScore(string distanceFunction, float[] v, float[] q)
    {
        double dot = 0, vv = 0, qq = 0, squared = 0, manhattan = 0;
        for (var i = 0; i < v.Length; i++)
        {
            dot += (double)v[i] * q[i];
            vv += (double)v[i] * v[i];
            qq += (double)q[i] * q[i];
            squared += ((double)v[i] - q[i]) * ((double)v[i] - q[i]);
            manhattan += Math.Abs((double)v[i] - q[i]);
        }

        return distanceFunction switch
        {
            DistanceFunction.EuclideanDistance => Math.Sqrt(squared),
            DistanceFunction.CosineDistance => 1 - (dot / Math.Sqrt(vv * qq)),
            DistanceFunction.ManhattanDistance => manhattan,
            _ => dot,
        };
    }

    internal static float[] RandomVector(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    private async Task<FilledScope> CreateFilledAsync(
        string distanceFunction, string indexKind, int count, int seed, int dimensions = Dimensions, PostgresCollectionOptions? options = null, PostgresVectorStore? store = null)
    {
        store ??= Store;
        var random = new Random(seed);
        var vectors = Enumerable.Range(0, count).Select(_ => RandomVector(random, dimensions)).ToArray();
        options ??= new PostgresCollectionOptions();
        options.Definition = RandomRecord.Definition(distanceFunction, indexKind, dimensions);
        var collection = store.GetCollection<long, RandomRecord>(NewName(), options);
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(vectors.Select((v, i) => new RandomRecord { Key = i, Bucket = i % 50, Vector = v }));
        await using (var connection = await Store.DataSource.OpenConnectionAsync())
        {
            // Fresh statistics, as autovacuum would eventually give, so the planner costs the index against the real table size.
            await using var analyze = new NpgsqlCommand($"ANALYZE \"{collection.Name}\"", connection);
            await analyze.ExecuteNonQueryAsync();
        }

        return new FilledScope(collection, vectors);
    }

    /// <summary>A store whose sessions plan no sequential or bitmap scans, so a small table is searched through its HNSW index.</summary>
    private PostgresVectorStore IndexOnlyStore() =>
        new(fixture.ConnectionString + ";Options=-c enable_seqscan=off -c enable_bitmapscan=off");

    private async Task<List<string>> IndexDefinitionsAsync(string table)
    {
        await using var connection = await Store.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var definitions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            definitions.Add(reader.GetString(0));
        }

        return definitions;
    }

    private static string NewName() => "pg_" + Guid.NewGuid().ToString("N")[..12];

    private static ConformanceRecord Record(int key, string name, float[] embedding) =>
        new() { Key = key, Name = name, Rating = key, Embedding = embedding };

    public sealed class RandomRecord
    {
        public long Key { get; set; }

        public int Bucket { get; set; }

        public float[]? Vector { get; set; }

        public static VectorStoreCollectionDefinition Definition(string distanceFunction, string indexKind, int dimensions = Dimensions) => new()
        {
            Properties =
            [
                new VectorStoreKeyProperty(nameof(Key), typeof(long)),
                new VectorStoreDataProperty(nameof(Bucket), typeof(int)) { IsIndexed = true },
                new VectorStoreVectorProperty(nameof(Vector), typeof(float[]), dimensions) { DistanceFunction = distanceFunction, IndexKind = indexKind },
            ],
        };
    }

    private sealed class FilledScope(PostgresCollection<long, RandomRecord> collection, float[][] vectors) : IAsyncDisposable
    {
        public PostgresCollection<long, RandomRecord> Collection { get; } = collection;

        public float[][] Vectors { get; } = vectors;

        public async ValueTask DisposeAsync() => await Collection.EnsureCollectionDeletedAsync();
    }
}

/// <summary>Model and option checks of the PostgreSQL store; they need no server (nothing connects).</summary>
public sealed class PostgresModelTests
{
    private const string Unreachable = "Host=127.0.0.1;Port=1;Username=nobody;Password=secret;Database=none";

    [Theory]
    [InlineData(IndexKind.IvfFlat)]
    [InlineData(IndexKind.DiskAnn)]
    public void GetCollection_WhenIndexKindIsUnsupported_ThrowsNotSupportedException(string indexKind)
    {
        using var store = new PostgresVectorStore(Unreachable);
        var e = Assert.Throws<NotSupportedException>(() => store.GetCollection<long, PostgresVectorStoreTests.RandomRecord>(
            "bad", PostgresVectorStoreTests.RandomRecord.Definition(DistanceFunction.CosineDistance, indexKind)));
        Assert.Contains(indexKind, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetCollection_WhenDistanceFunctionIsHamming_ThrowsNotSupportedException()
    {
        using var store = new PostgresVectorStore(Unreachable);
        var e = Assert.Throws<NotSupportedException>(() => store.GetCollection<int, DistanceRecord>("bad", DistanceRecord.Definition(DistanceFunction.HammingDistance)));
        Assert.Contains(DistanceFunction.HammingDistance, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(101, 300)]
    [InlineData(16, 31)]
    [InlineData(16, 1001)]
    public void GetCollection_WhenHnswParametersAreOutOfRange_ThrowsArgumentOutOfRangeException(int m, int efConstruction)
    {
        using var store = new PostgresVectorStore(Unreachable);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetCollection<int, ConformanceRecord>(
            "items", new PostgresCollectionOptions { HnswM = m, HnswEfConstruction = efConstruction }));
    }

    [Theory]
    [InlineData(127)]
    [InlineData(PostgresCollectionOptions.MaxToastTupleTarget + 1)]
    public void GetCollection_WhenToastTupleTargetIsOutOfRange_ThrowsArgumentOutOfRangeException(int toastTupleTarget)
    {
        using var store = new PostgresVectorStore(Unreachable);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.GetCollection<int, ConformanceRecord>(
            "items", new PostgresCollectionOptions { ToastTupleTarget = toastTupleTarget }));
    }

    [Theory]
    [InlineData(0, 3, "CopyRoundRows")]
    [InlineData(4_096, 0, "CopyRoundsAhead")]
    [InlineData(4_096, -1, "CopyRoundsAhead")]
    public void GetCollection_WhenCopyRoundsAreOutOfRange_ThrowsNamingTheOption(int roundRows, int roundsAhead, string option)
    {
        using var store = new PostgresVectorStore(Unreachable);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => store.GetCollection<int, ConformanceRecord>(
            "items", new PostgresCollectionOptions { CopyRoundRows = roundRows, CopyRoundsAhead = roundsAhead }));
        Assert.Equal(option, e.ParamName);
    }

    [Fact]
    public void EfSearch_WhenOutOfRange_ThrowsAndKeepsThePreviousValue()
    {
        using var store = new PostgresVectorStore(Unreachable);
        var collection = store.GetCollection<int, ConformanceRecord>("items", new PostgresCollectionOptions { HnswEfSearch = 80 });

        Assert.Throws<ArgumentOutOfRangeException>(() => collection.EfSearch = 0);
        Assert.Equal(80, collection.EfSearch);
        collection.EfSearch = null;
        Assert.Null(collection.EfSearch);
    }

    [Fact]
    public void GetCollection_WhenNameIsLongerThanPostgresAllows_ThrowsArgumentException()
    {
        using var store = new PostgresVectorStore(Unreachable);
        Assert.Throws<ArgumentException>(() => store.GetCollection<int, ConformanceRecord>(new string('n', 64)));
    }

    [Fact]
    public void Constructor_WhenConnectionStringIsMalformed_ThrowsArgumentExceptionWithoutEchoingIt()
    {
        var e = Assert.Throws<ArgumentException>(() => new PostgresVectorStore("Host=x;Password=hunter2;Bogus Keyword=1"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Operations_WhenServerIsUnreachable_ThrowVectorStoreException()
    {
        using var store = new PostgresVectorStore(Unreachable + ";Timeout=2");
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        var e = await Assert.ThrowsAsync<VectorStoreException>(() => collection.CollectionExistsAsync());
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }
}
