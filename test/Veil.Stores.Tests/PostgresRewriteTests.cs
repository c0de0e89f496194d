using Microsoft.Extensions.VectorData;
using Npgsql;
using Veil.Stores.Postgres;
using Veil.Stores.Tests.Conformance;
using RandomRecord = Veil.Stores.Tests.PostgresVectorStoreTests.RandomRecord;

namespace Veil.Stores.Tests;

/// <summary>
/// <see cref="PostgresCollection{TKey, TRecord}.BeginRewriteAsync"/> on a real server: the rows appended to the new table,
/// an interruption resumed after its last key, writes made to the old table meanwhile carried over by the swap, and the
/// swapped-in table indexed and named as the collection.
/// </summary>
[Collection(PostgresCollectionDefinition.Name)]
[RequiresEnvironmentVariable(PostgresStoreFixture.ConnectionVariable, PostgresStoreFixture.Purpose)]
public sealed class PostgresRewriteTests(PostgresStoreFixture fixture)
{
    private const int Rows = 300;
    private const int Dimensions = 8;

    [StoreFact]
    public async Task CompleteRewriteAsync_AfterAResumedRewriteWithWritesMeanwhile_SwapsInEveryRowAtItsLatestVersion()
    {
        var collection = fixture.Store.GetCollection<long, RandomRecord>(
            "pg_rewrite_" + Guid.NewGuid().ToString("N")[..12], new PostgresCollectionOptions { Definition = RandomRecord.Definition(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, Dimensions) });
        await collection.EnsureCollectionExistsAsync();
        try
        {
            var random = new Random(5);
            float[][] vectors = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => random.NextSingle()).ToArray()).ToArray();
            await collection.UpsertAsync(vectors.Select((v, i) => new RandomRecord { Key = i, Bucket = 1, Vector = v }));

            Assert.Equal(0, (await collection.BeginRewriteAsync()).Rows);
            await collection.AppendRewriteAsync(await ReadAfterAsync(collection, -1, 100));

            // Interrupted: a second begin resumes after the last key appended.
            PostgresRewrite<long> resumed = await collection.BeginRewriteAsync();
            Assert.Equal((100L, 99L), (resumed.Rows, resumed.LastKey));

            // Writes to the collection meanwhile: a row already copied and one not yet copied replaced, a new one, one copied deleted.
            await collection.UpsertAsync([
                new RandomRecord { Key = 5, Bucket = 7, Vector = vectors[5] },
                new RandomRecord { Key = 250, Bucket = 7, Vector = vectors[250] },
                new RandomRecord { Key = 1000, Bucket = 7, Vector = vectors[0] },
            ]);
            await collection.DeleteAsync(6L);
            Assert.True(await collection.RewriteExistsAsync());
            Assert.Equal(7, (await collection.GetAsync(5L))!.Bucket); // readers still see the old table, with the writes

            await collection.AppendRewriteAsync(await ReadAfterAsync(collection, resumed.LastKey, int.MaxValue));
            Assert.True(await collection.CompleteRewriteAsync());
            Assert.False(await collection.CompleteRewriteAsync()); // nothing left to complete
            Assert.False(await collection.RewriteExistsAsync());

            var rows = await collection.GetAsync(r => true, int.MaxValue, new FilteredRecordRetrievalOptions<RandomRecord> { IncludeVectors = true }).ToListAsync();
            var byKey = rows.ToDictionary(r => r.Key);
            long[] expectedKeys = [.. Enumerable.Range(0, Rows).Where(k => k != 6).Select(k => (long)k), 1000];
            Assert.Equal(expectedKeys, byKey.Keys.Order());
            Assert.All(rows, r => Assert.Equal(r.Key is 5 or 250 or 1000 ? 7 : 2, r.Bucket));
            Assert.All(rows.Where(r => r.Key < Rows), r => Assert.Equal(vectors[r.Key], r.Vector));

            // The new table has the collection's name, its primary key and its HNSW index (named as the collection's).
            var indexes = await IndexesAsync(collection.Name);
            Assert.Equal(2, indexes.Count);
            Assert.Contains(indexes, d => d.Contains("_pkey", StringComparison.Ordinal) && d.Contains("UNIQUE", StringComparison.Ordinal));
            Assert.Contains(indexes, d => d.Contains("USING hnsw", StringComparison.Ordinal) && d.Contains(collection.Name, StringComparison.Ordinal));
            await collection.UpsertAsync([new RandomRecord { Key = 7, Bucket = 3, Vector = vectors[7] }]); // the primary key's upsert works
            Assert.Equal(3, (await collection.GetAsync(7L))!.Bucket);
            Assert.Equal(rows.Count, await collection.CountAsync(r => true));
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }

        Assert.False(await collection.RewriteExistsAsync());
    }

    [StoreFact]
    public async Task EnsureCollectionDeletedAsync_DuringARewrite_DropsItsNewTableAndChangeLog()
    {
        var collection = fixture.Store.GetCollection<long, RandomRecord>(
            "pg_rewrite_" + Guid.NewGuid().ToString("N")[..12], new PostgresCollectionOptions { Definition = RandomRecord.Definition(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, Dimensions) });
        await collection.EnsureCollectionExistsAsync();
        await collection.UpsertAsync([new RandomRecord { Key = 1, Bucket = 1, Vector = new float[Dimensions] }]);
        await collection.BeginRewriteAsync();
        await collection.AppendRewriteAsync(await ReadAfterAsync(collection, 0, 10));

        await collection.EnsureCollectionDeletedAsync();

        Assert.False(await collection.RewriteExistsAsync());
        await using var connection = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_proc WHERE proname LIKE 'veil_rewrite_trigger_%'", connection);
        long before = (long)(await command.ExecuteScalarAsync())!;
        await collection.EnsureCollectionExistsAsync();
        await collection.BeginRewriteAsync();
        Assert.Equal(before + 1, (long)(await command.ExecuteScalarAsync())!);
        await collection.EnsureCollectionDeletedAsync();
        Assert.Equal(before, (long)(await command.ExecuteScalarAsync())!);
    }

    [StoreFact]
    public async Task CanRewriteAsync_OnlyForAnOrdinaryTableNothingDependsOn()
    {
        string name = "pg_rewrite_" + Guid.NewGuid().ToString("N")[..12];
        var collection = fixture.Store.GetCollection<long, RandomRecord>(
            name, new PostgresCollectionOptions { Definition = RandomRecord.Definition(DistanceFunction.EuclideanDistance, IndexKind.Hnsw, Dimensions) });
        Assert.False(await collection.CanRewriteAsync());
        await collection.EnsureCollectionExistsAsync();
        try
        {
            Assert.True(await collection.CanRewriteAsync());

            // A view over the table: the swap would have to drop it (and fail).
            await using var connection = await fixture.Store.DataSource.OpenConnectionAsync();
            await using (var view = new NpgsqlCommand($"CREATE VIEW \"{name}_view\" AS SELECT \"Key\" FROM \"{name}\"", connection))
            {
                await view.ExecuteNonQueryAsync();
            }

            Assert.False(await collection.CanRewriteAsync());

            // Another table's foreign key to it: likewise.
            await using (var reference = new NpgsqlCommand($"DROP VIEW \"{name}_view\"; CREATE TABLE \"{name}_ref\" (k bigint REFERENCES \"{name}\" (\"Key\"))", connection))
            {
                await reference.ExecuteNonQueryAsync();
            }

            Assert.False(await collection.CanRewriteAsync());
            await using (var drop = new NpgsqlCommand($"DROP TABLE \"{name}_ref\"", connection))
            {
                await drop.ExecuteNonQueryAsync();
            }

            Assert.True(await collection.CanRewriteAsync());

            // The same collection as a partitioned table (as docs/scale.md suggests at 10⁸ rows): a rewrite would swap in
            // one plain table, so rotation must update it in place.
            await using var partition = new NpgsqlCommand(
                $"ALTER TABLE \"{name}\" RENAME TO \"{name}_old\"; " +
                $"CREATE TABLE \"{name}\" (LIKE \"{name}_old\" INCLUDING ALL) PARTITION BY HASH (\"Key\"); " +
                $"CREATE TABLE \"{name}_p0\" PARTITION OF \"{name}\" FOR VALUES WITH (MODULUS 1, REMAINDER 0); " +
                $"DROP TABLE \"{name}_old\"",
                connection);
            await partition.ExecuteNonQueryAsync();
            await collection.UpsertAsync([new RandomRecord { Key = 1, Bucket = 1, Vector = new float[Dimensions] }]);

            Assert.False(await collection.CanRewriteAsync());
        }
        finally
        {
            await collection.EnsureCollectionDeletedAsync();
        }
    }

    /// <summary>Up to <paramref name="count"/> rows after <paramref name="key"/> in key order, each moved to bucket 2 (the "rewrite").</summary>
    private static async Task<List<RandomRecord>> ReadAfterAsync(PostgresCollection<long, RandomRecord> collection, long key, int count)
    {
        var options = new FilteredRecordRetrievalOptions<RandomRecord> { IncludeVectors = true, OrderBy = o => o.Ascending(r => r.Key) };
        var rows = await collection.GetAsync(r => r.Key > key, count, options).ToListAsync();
        rows.ForEach(r => r.Bucket = 2);
        return rows;
    }

    private async Task<List<string>> IndexesAsync(string table)
    {
        await using var connection = await fixture.Store.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        var definitions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            definitions.Add(reader.GetString(0));
        }

        return definitions;
    }
}
