using DuckDB.NET.Data;
using Microsoft.Extensions.VectorData;
using Veil.Stores.DuckDb;
using Veil.Stores.Tests.Conformance;

namespace Veil.Stores.Tests;

/// <summary>Behaviour specific to the DuckDB store: transactions, files, configuration, exactness and errors.</summary>
public sealed class DuckDbVectorStoreTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-duckdb-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task UpsertAsync_WhenBatchContainsBadRecord_LeavesNoRowsFromThatBatch()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync([Record(1, "original-1", [1, 0, 0, 0]), Record(2, "original-2", [0, 1, 0, 0])]);

        // Record 1 and 10 come before the bad one, so the delete of key 1 and the append of two rows have already
        // happened inside the transaction when record 11 (3 dimensions) fails.
        var batch = new[] { Record(1, "new-1", [1, 1, 0, 0]), Record(10, "new-10", [0, 0, 1, 0]), Record(11, "bad", [1, 2, 3]), Record(12, "new-12", [0, 0, 0, 1]) };
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch));

        var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
        Assert.Equal([(1, "original-1"), (2, "original-2")], rows.Select(r => (r.Key, r.Name!)).Order());
    }

    [Fact]
    public async Task UpsertAsync_WhenBatchRepeatsAKey_StoresTheLastRecord()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();

        await collection.UpsertAsync([Record(1, "first", [1, 0, 0, 0]), Record(2, "other", [0, 1, 0, 0]), Record(1, "last", [0, 0, 1, 0])]);

        var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
        Assert.Equal([(1, "last"), (2, "other")], rows.Select(r => (r.Key, r.Name!)).Order());
    }

    [Fact]
    public async Task DuckDbVectorStore_WhenFileIsReopened_KeepsCollectionsAndRecords()
    {
        var path = Path.Combine(_directory, "persist.duckdb");
        using (var store = new DuckDbVectorStore(path))
        {
            var collection = store.GetCollection<string, KeyedRecord<string>>("docs");
            await collection.EnsureCollectionExistsAsync();
            await collection.UpsertAsync([new() { Key = "a", Text = "alpha", Vector = [1, 0] }, new() { Key = "b", Text = "beta", Vector = [0, 1] }]);
        }

        using (var reopened = new DuckDbVectorStore(path))
        {
            Assert.Equal(["docs"], await AsyncEnumerable.ToListAsync(reopened.ListCollectionNamesAsync()));
            var collection = reopened.GetCollection<string, KeyedRecord<string>>("docs");
            var hit = Assert.Single(await AsyncEnumerable.ToListAsync(collection.SearchAsync(new float[] { 0.1f, 0.9f }, top: 1)));
            Assert.Equal(("b", "beta"), (hit.Record.Key, hit.Record.Text));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connections_Always_HaveExtensionAutoInstallAndAutoLoadOff(bool inFile)
    {
        using var store = inFile ? new DuckDbVectorStore(Path.Combine(_directory, "settings.duckdb")) : DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();

        // Rent two connections at once, so the second is a new one made by the pool rather than the one just used.
        var first = store.Database.Rent();
        var second = store.Database.Rent();
        try
        {
            foreach (var connection in new[] { first, second })
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')";
                using var reader = command.ExecuteReader();
                Assert.True(reader.Read());
                Assert.False(reader.GetBoolean(0));
                Assert.False(reader.GetBoolean(1));
            }
        }
        finally
        {
            store.Database.Return(first);
            store.Database.Return(second);
        }
    }

    [Fact]
    public void DuckDbVectorStore_WhenMemoryLimitIsGiven_SetsItOnEveryConnection()
    {
        using var store = new DuckDbVectorStore(Path.Combine(_directory, "memory.duckdb"), new DuckDbStoreOptions { MemoryLimit = "64MB" });
        var connection = store.Database.Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT current_setting('memory_limit')";
            Assert.Equal("61.0 MiB", command.ExecuteScalar());
        }
        finally
        {
            store.Database.Return(connection);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void DuckDbVectorStore_WhenThreadsAreGiven_SetsThem(int threads)
    {
        using var store = new DuckDbVectorStore(Path.Combine(_directory, $"threads{threads}.duckdb"), new DuckDbStoreOptions { Threads = threads });
        var connection = store.Database.Rent();
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT current_setting('threads')";
            Assert.Equal((long)threads, Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            store.Database.Return(connection);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public void DuckDbStoreOptions_WhenThreadsBelowOne_Throws(int threads) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DuckDbStoreOptions { Threads = threads });

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("512")]
    [InlineData("1GB'; DROP TABLE x; --")]
    public void DuckDbStoreOptions_WhenMemoryLimitIsNotASize_Throws(string limit) =>
        Assert.Throws<ArgumentException>(() => new DuckDbStoreOptions { MemoryLimit = limit });

    [Fact]
    public async Task UpsertAsync_WhenLazySequenceSpansChunksAndRepeatsKeys_StoresEachKeyOnceWithItsLastRecord()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();

        // 25 000 records in three chunks of the appender; keys 0..4 come again at the end, in the third chunk.
        static IEnumerable<ConformanceRecord> Records()
        {
            for (var i = 0; i < 25_000; i++)
            {
                yield return Record(i, "first", [1, 0, 0, 0]);
            }

            for (var i = 0; i < 5; i++)
            {
                yield return Record(i, "again", [0, 1, 0, 0]);
            }
        }

        await collection.UpsertAsync(Records());
        await collection.UpsertAsync(Records().Skip(24_999));

        var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 30_000));
        Assert.Equal(25_000, rows.Count);
        Assert.Equal(Enumerable.Range(0, 25_000), rows.Select(r => r.Key).Order());
        Assert.Equal([0, 1, 2, 3, 4], rows.Where(r => r.Name == "again").Select(r => r.Key).Order());
    }

    [Fact]
    public async Task UpsertAsync_WhenRowsSpanSeveralDataChunks_ReadsBackEveryValueAndNull()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();
        var random = new Random(20261123);

        // 5 000 rows fill the appender's 2 048-row data chunks twice and part of a third; every nullable column has
        // nulls on a different cycle, so nulls and values alternate across the chunk boundaries.
        var records = Enumerable.Range(0, 5_000).Select(i => new ConformanceRecord
        {
            Key = i,
            Name = i % 3 == 0 ? null : i % 11 == 1 ? string.Empty : $"név {i} ✓ " + new string('x', i % 40),
            Rating = random.Next(int.MinValue, int.MaxValue),
            Count = random.NextInt64(long.MinValue, long.MaxValue),
            Price = (random.NextSingle() - 0.5f) * 1e6f,
            Weight = (random.NextDouble() - 0.5) * 1e300,
            IsActive = random.Next(2) == 0,
            Payload = i % 5 == 0 ? null : random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), i % 300),
            Created = i % 7 == 0 ? null : new DateTimeOffset(random.NextInt64(DateTime.UnixEpoch.Ticks - (100 * TimeSpan.TicksPerDay * 365), DateTime.UnixEpoch.Ticks + (100 * TimeSpan.TicksPerDay * 365)) / 10 * 10, TimeSpan.Zero),
            Optional = i % 4 == 0 ? null : random.Next(),
            Embedding = RandomVector(random, 4),
        }).ToList();

        await collection.UpsertAsync(records);

        var stored = (await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 6_000, new() { IncludeVectors = true }))).OrderBy(r => r.Key).ToList();
        Assert.Equal(records.Count, stored.Count);
        for (var i = 0; i < records.Count; i++)
        {
            var (expected, actual) = (records[i], stored[i]);
            Assert.Equal(
                (expected.Key, expected.Name, expected.Rating, expected.Count, expected.Price, expected.Weight, expected.IsActive, expected.Created, expected.Optional),
                (actual.Key, actual.Name, actual.Rating, actual.Count, actual.Price, actual.Weight, actual.IsActive, actual.Created, actual.Optional));
            Assert.Equal(expected.Payload, actual.Payload);
            Assert.Equal(expected.Embedding.ToArray(), actual.Embedding.ToArray());
        }
    }

    [Fact]
    public async Task UpsertAsync_WhenValuesAreUuidsAndTimestamps_StoresWhatDuckDbWouldParse()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var guids = store.GetCollection<Guid, KeyedRecord<Guid>>("guids");
        await guids.EnsureCollectionExistsAsync();
        var random = new Random(11);
        var keys = Enumerable.Range(0, 3_000).Select(_ => new Guid(random.GetItems<byte>(Enumerable.Range(0, 256).Select(b => (byte)b).ToArray(), 16))).ToList();
        await guids.UpsertAsync(keys.Select(k => new KeyedRecord<Guid> { Key = k, Vector = [1, 0] }));

        var items = store.GetCollection<int, ConformanceRecord>("items");
        await items.EnsureCollectionExistsAsync();

        // 15 ticks before the epoch is -1.5 µs: stored as -2 µs (the microsecond it falls in), as DuckDB parses it.
        await items.UpsertAsync([
            Created(Record(1, "a", [1, 0, 0, 0]), DateTimeOffset.UnixEpoch.AddTicks(-15)),
            Created(Record(2, "b", [1, 0, 0, 0]), new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1_234_567)),
        ]);

        var connection = store.Database.Rent();
        try
        {
            // DuckDB orders UUIDs as their text orders, so its ORDER BY gives the keys' strings sorted ordinally.
            Assert.Equal(keys.Select(k => k.ToString()).Order(StringComparer.Ordinal), Strings(connection, "SELECT CAST(\"Key\" AS VARCHAR) FROM guids ORDER BY \"Key\""));
            Assert.Equal(
                ["true", "true"],
                Strings(connection, "SELECT CAST(\"Created\" = (CASE \"Key\" WHEN 1 THEN TIMESTAMPTZ '1969-12-31 23:59:59.999998+00' ELSE TIMESTAMPTZ '2025-03-04 05:06:07.123456+02' END) AS VARCHAR) FROM items ORDER BY \"Key\""));
        }
        finally
        {
            store.Database.Return(connection);
        }
    }

    [Fact]
    public async Task UpsertAsync_WhenLazySequenceThrowsAfterSeveralChunks_LeavesNoRowsFromIt()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(Record(-1, "before", [1, 0, 0, 0]));

        static IEnumerable<ConformanceRecord> Failing()
        {
            for (var i = 0; i < 21_000; i++)
            {
                yield return Record(i, "lost", [1, 0, 0, 0]);
            }

            throw new InvalidOperationException("the input broke");
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => collection.UpsertAsync(Failing()));
        Assert.Equal("the input broke", e.Message);
        var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => true, top: 100));
        Assert.Equal([-1], rows.Select(r => r.Key));
    }

    [Theory]
    [InlineData(DistanceFunction.EuclideanDistance)]
    [InlineData(DistanceFunction.CosineDistance)]
    [InlineData(DistanceFunction.DotProductSimilarity)]
    public async Task SearchAsync_WhenTwoThousandRandom384dVectors_EqualsBruteForceInCSharp(string distanceFunction)
    {
        const int Count = 2000;
        const int Dimensions = 384;
        const int Top = 10;
        var random = new Random(20261122);
        var vectors = Enumerable.Range(0, Count).Select(_ => RandomVector(random, Dimensions)).ToArray();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Key", typeof(long)),
                new VectorStoreVectorProperty("Vector", typeof(float[]), Dimensions) { DistanceFunction = distanceFunction },
            ],
        };
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<long, LargeRecord>("large", definition);
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync(vectors.Select((v, i) => new LargeRecord { Key = i, Vector = v }));

        for (var q = 0; q < 5; q++)
        {
            var query = RandomVector(random, Dimensions);
            var higherIsBetter = distanceFunction == DistanceFunction.DotProductSimilarity;
            var scored = vectors.Select((v, i) => (Key: (long)i, Score: ExactScore(distanceFunction, v, query))).ToList();
            var expected = (higherIsBetter ? scored.OrderByDescending(s => s.Score) : scored.OrderBy(s => s.Score)).Take(Top).ToList();

            var actual = await AsyncEnumerable.ToListAsync(collection.SearchAsync(query, Top));

            Assert.Equal(expected.Select(e => e.Key), actual.Select(a => a.Record.Key));
            for (var i = 0; i < Top; i++)
            {
                Assert.Equal(expected[i].Score, actual[i].Score!.Value, 1e-4 * Math.Max(1, Math.Abs(expected[i].Score)));
            }
        }
    }

    [Fact]
    public async Task CollectionName_WhenItContainsQuotesAndSql_IsTreatedAsAName()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var victim = store.GetCollection<int, ConformanceRecord>("victim");
        await victim.EnsureCollectionExistsAsync();
        await victim.UpsertAsync(Record(1, "safe", [1, 0, 0, 0]));
        var hostileName = "x\"; DROP TABLE victim; --";

        var hostile = store.GetCollection<int, ConformanceRecord>(hostileName);
        await hostile.EnsureCollectionExistsAsync();
        await hostile.UpsertAsync(Record(2, "inside", [0, 1, 0, 0]));

        Assert.Equal("inside", (await hostile.GetAsync(2))?.Name);
        Assert.Equal("safe", (await victim.GetAsync(1))?.Name);
        Assert.Contains(hostileName, await AsyncEnumerable.ToListAsync(store.ListCollectionNamesAsync()));
        await store.EnsureCollectionDeletedAsync(hostileName);
        Assert.True(await victim.CollectionExistsAsync());
    }

    [Fact]
    public async Task GetAsync_WhenFilterValueLooksLikeSql_IsParameterised()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync([Record(1, "a", [1, 0, 0, 0]), Record(2, "' OR 1=1 --", [0, 1, 0, 0])]);
        var hostile = "' OR 1=1 --";

        var rows = await AsyncEnumerable.ToListAsync(collection.GetAsync(r => r.Name == hostile, top: 10));

        Assert.Equal([2], rows.Select(r => r.Key));
    }

    [Fact]
    public async Task Operations_WhenCollectionIsMissing_ThrowVectorStoreExceptionNamingIt()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var collection = store.GetCollection<int, ConformanceRecord>("missing");

        var upsert = await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Record(1, "a", [1, 0, 0, 0])));
        var get = await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync(1));
        var search = await Assert.ThrowsAsync<VectorStoreException>(() => AsyncEnumerable.ToListAsync(collection.SearchAsync(new float[] { 1, 0, 0, 0 }, 1)).AsTask());

        foreach (var e in new[] { upsert, get, search })
        {
            Assert.Contains("'missing' does not exist", e.Message, StringComparison.Ordinal);
            Assert.Equal("missing", e.CollectionName);
            Assert.Equal("duckdb", e.VectorStoreSystemName);
        }

        Assert.Equal("Upsert", upsert.OperationName);
        Assert.Equal("Search", search.OperationName);
    }

    [Fact]
    public void GetCollection_WhenDataPropertyTypeIsUnsupported_ThrowsNotSupportedException()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var e = Assert.Throws<NotSupportedException>(() => store.GetCollection<int, DecimalRecord>("bad"));
        Assert.Contains("Amount", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetCollection_WhenKeyTypeIsUnsupported_ThrowsNotSupportedException()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var e = Assert.Throws<NotSupportedException>(() => store.GetCollection<short, ShortKeyRecord>("bad"));
        Assert.Contains("Int16", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DistanceFunction.HammingDistance)]
    [InlineData(DistanceFunction.ManhattanDistance)]
    public void GetCollection_WhenDistanceFunctionIsUnsupported_ThrowsNotSupportedException(string distanceFunction)
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var e = Assert.Throws<NotSupportedException>(() => store.GetCollection<int, DistanceRecord>("bad", DistanceRecord.Definition(distanceFunction)));
        Assert.Contains(distanceFunction, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpsertAsync_WhenTableSchemaDiffersFromDefinition_ThrowsVectorStoreException()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        await store.GetCollection<int, ConformanceRecord>("items").EnsureCollectionExistsAsync();
        var other = store.GetCollection<int, KeyedRecord<int>>("items");

        var e = await Assert.ThrowsAsync<VectorStoreException>(() => other.UpsertAsync(new KeyedRecord<int> { Key = 1, Vector = [1, 0] }));
        Assert.Contains("does not match the record definition", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpsertAsync_WhenAColumnHasAnotherTypeThanItsProperty_ThrowsBeforeWritingAnything()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        await store.GetCollection<int, KeyedRecord<int>>("items").EnsureCollectionExistsAsync();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Key", typeof(int)),
                new VectorStoreDataProperty("Text", typeof(long)),
                new VectorStoreDataProperty("VectorInfo", typeof(byte[])),
                new VectorStoreVectorProperty("Vector", typeof(float[]), 2),
            ],
        };
        var other = store.GetDynamicCollection("items", definition);

        var e = await Assert.ThrowsAsync<VectorStoreException>(() => other.UpsertAsync(
            new Dictionary<string, object?> { ["Key"] = 1, ["Text"] = 5L, ["Vector"] = new float[] { 1, 0 } }));
        Assert.Contains("column 'Text' does not have the type BIGINT", e.Message, StringComparison.Ordinal);
        Assert.Empty(await AsyncEnumerable.ToListAsync(store.GetCollection<int, KeyedRecord<int>>("items").GetAsync(r => true, top: 10)));
    }

    [Fact]
    public async Task GetDynamicCollection_WhenRecordsAreDictionaries_RoundTripsAndSearches()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(string)),
                new VectorStoreDataProperty("Category", typeof(string)),
                new VectorStoreVectorProperty("Vector", typeof(ReadOnlyMemory<float>), 2) { DistanceFunction = DistanceFunction.CosineSimilarity },
            ],
        };
        var collection = store.GetDynamicCollection("dynamic", definition);
        await collection.EnsureCollectionExistsAsync();
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
    }

    [Fact]
    public void GetService_WhenAskedForMetadata_DescribesTheStore()
    {
        using var store = DuckDbVectorStore.CreateInMemory();
        var metadata = Assert.IsType<VectorStoreMetadata>(store.GetService(typeof(VectorStoreMetadata)));
        var collection = store.GetCollection<int, ConformanceRecord>("items");
        var collectionMetadata = Assert.IsType<VectorStoreCollectionMetadata>(collection.GetService(typeof(VectorStoreCollectionMetadata)));

        Assert.Equal("duckdb", metadata.VectorStoreSystemName);
        Assert.Equal("items", collectionMetadata.CollectionName);
        Assert.Same(store, store.GetService(typeof(DuckDbVectorStore)));
        Assert.Null(store.GetService(typeof(DuckDBConnection)));
    }

    private static double ExactScore(string distanceFunction, float[] v, float[] q)
    {
        double dot = 0, vv = 0, qq = 0, squared = 0;
        for (var i = 0; i < v.Length; i++)
        {
            dot += (double)v[i] * q[i];
            vv += (double)v[i] * v[i];
            qq += (double)q[i] * q[i];
            squared += ((double)v[i] - q[i]) * ((double)v[i] - q[i]);
        }

        return distanceFunction switch
        {
            DistanceFunction.EuclideanDistance => Math.Sqrt(squared),
            DistanceFunction.CosineDistance => 1 - (dot / Math.Sqrt(vv * qq)),
            _ => dot,
        };
    }

    private static float[] RandomVector(Random random, int dimensions)
    {
        var vector = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return vector;
    }

    private static ConformanceRecord Created(ConformanceRecord record, DateTimeOffset created)
    {
        record.Created = created;
        return record;
    }

    private static List<string> Strings(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static ConformanceRecord Record(int key, string name, float[] embedding) =>
        new() { Key = key, Name = name, Rating = key, Embedding = embedding };

    public sealed class LargeRecord
    {
        public long Key { get; set; }

        public float[]? Vector { get; set; }
    }

    public sealed class DecimalRecord
    {
        [VectorStoreKey]
        public int Key { get; set; }

        [VectorStoreData]
        public decimal Amount { get; set; }
    }

    public sealed class ShortKeyRecord
    {
        [VectorStoreKey]
        public short Key { get; set; }

        [VectorStoreVector(2)]
        public float[]? Vector { get; set; }
    }
}
