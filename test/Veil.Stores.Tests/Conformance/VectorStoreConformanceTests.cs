using System.Linq.Expressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace Veil.Stores.Tests.Conformance;

/// <summary>
/// The behaviour every Veil <see cref="VectorStore"/> must show, whatever the database and whether or not an
/// encrypting decorator wraps it. Derive a class per store, supply <see cref="Store"/> (usually from a class fixture),
/// and override a fact (or <see cref="ScoreTolerance"/>) where a store legitimately differs. Facts are
/// <see cref="StoreFactAttribute"/>s, so a class marked <see cref="RequiresEnvironmentVariableAttribute"/> skips them
/// (with the reason) when its database server is not configured.
/// </summary>
/// <remarks>
/// Each fact works in its own freshly named collection and deletes it afterwards, so one store can serve a whole class.
/// Filter facts compare the store's answer with LINQ to objects over the same records, so stores must keep C# null
/// semantics (<c>r.Optional != 5</c> includes records whose <c>Optional</c> is null).
/// </remarks>
public abstract class VectorStoreConformanceTests
{
    private static readonly DateTimeOffset s_created = new(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2));

    /// <summary>Gets the store under test.</summary>
    protected abstract VectorStore Store { get; }

    /// <summary>Gets the absolute tolerance for comparing scores with the exact values.</summary>
    protected virtual double ScoreTolerance => 1e-5;

    /// <summary>Gets a collection from the store; override to wrap it (for example, in an encrypting decorator).</summary>
    protected virtual VectorStoreCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null)
        where TKey : notnull
        where TRecord : class
        => Store.GetCollection<TKey, TRecord>(name, definition);

    /// <summary>Gets a dynamic (dictionary) collection; override to wrap it as <see cref="GetCollection"/> is.</summary>
    protected virtual VectorStoreCollection<object, Dictionary<string, object?>> GetDynamicCollection(string name, VectorStoreCollectionDefinition definition) =>
        Store.GetDynamicCollection(name, definition);

    /// <summary>
    /// Gets whether the store embeds a vector property's input (such as text) with the definition's embedding generator
    /// (MEVD's store-level embedding generation); a store that cannot throws <see cref="NotSupportedException"/>.
    /// </summary>
    protected virtual bool SupportsEmbeddingGeneration => false;

    /// <summary>The six records the filter, search and paging facts use.</summary>
    protected static IReadOnlyList<ConformanceRecord> Dataset { get; } =
    [
        Record(1, "alpha", rating: 1, isActive: true, optional: null, [1, 0, 0, 0]),
        Record(2, "beta", rating: 2, isActive: false, optional: 5, [0, 1, 0, 0]),
        Record(3, "gamma", rating: 3, isActive: true, optional: null, [0, 0, 1, 0]),
        Record(4, "delta", rating: 4, isActive: false, optional: 7, [0, 0, 0, 1]),
        Record(5, null, rating: 5, isActive: true, optional: 9, [0.5f, 0.5f, 0, 0]),
        Record(6, "alpha", rating: 3, isActive: false, optional: null, [0.9f, 0.1f, 0, 0]),
    ];

    // ---- Collections ----

    [StoreFact]
    public virtual async Task CollectionExistsAsync_WhenNeverCreated_ReturnsFalse()
    {
        var name = NewName();
        var collection = GetCollection<int, ConformanceRecord>(name);
        Assert.False(await collection.CollectionExistsAsync());
        Assert.False(await Store.CollectionExistsAsync(name));
    }

    [StoreFact]
    public virtual async Task EnsureCollectionExistsAsync_WhenCalledTwice_CreatesOneListedCollection()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.EnsureCollectionExistsAsync();

        Assert.True(await scope.Collection.CollectionExistsAsync());
        Assert.True(await Store.CollectionExistsAsync(scope.Name));
        var names = await AsyncEnumerable.ToListAsync(Store.ListCollectionNamesAsync());
        Assert.Single(names, n => n == scope.Name);
    }

    [StoreFact]
    public virtual async Task EnsureCollectionDeletedAsync_WhenCollectionExists_RemovesIt()
    {
        var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset[0]);

        await scope.Collection.EnsureCollectionDeletedAsync();

        Assert.False(await scope.Collection.CollectionExistsAsync());
        Assert.DoesNotContain(scope.Name, await AsyncEnumerable.ToListAsync(Store.ListCollectionNamesAsync()));
    }

    [StoreFact]
    public virtual async Task EnsureCollectionDeletedAsync_WhenCollectionIsMissing_DoesNothing()
    {
        var name = NewName();
        await GetCollection<int, ConformanceRecord>(name).EnsureCollectionDeletedAsync();
        await Store.EnsureCollectionDeletedAsync(name);
        Assert.False(await Store.CollectionExistsAsync(name));
    }

    [StoreFact]
    public virtual async Task StoreEnsureCollectionDeletedAsync_WhenCollectionExists_RemovesIt()
    {
        var scope = await CreateAsync<int, ConformanceRecord>();
        await Store.EnsureCollectionDeletedAsync(scope.Name);
        Assert.False(await scope.Collection.CollectionExistsAsync());
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenCollectionIsMissing_ThrowsVectorStoreException()
    {
        var collection = GetCollection<int, ConformanceRecord>(NewName());
        await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Dataset[0]));
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenCollectionIsMissing_ThrowsVectorStoreException()
    {
        var collection = GetCollection<int, ConformanceRecord>(NewName());
        await Assert.ThrowsAsync<VectorStoreException>(() => AsyncEnumerable.ToListAsync(collection.SearchAsync(new float[] { 1, 0, 0, 0 }, top: 1)).AsTask());
    }

    // ---- Upsert, get, delete ----

    [StoreFact]
    public virtual async Task UpsertAsync_WhenSingleRecord_GetReturnsEveryProperty()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        var record = Dataset[1];
        await scope.Collection.UpsertAsync(record);

        var got = await scope.Collection.GetAsync(record.Key, new RecordRetrievalOptions { IncludeVectors = true });

        Assert.NotNull(got);
        AssertSameData(record, got);
        AssertSameVector(record.Embedding.ToArray(), got.Embedding.ToArray());
    }

    [StoreFact]
    public virtual async Task GetAsync_WhenIncludeVectorsIsFalse_LeavesVectorsEmpty()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset[0]);

        var got = await scope.Collection.GetAsync(Dataset[0].Key);

        Assert.NotNull(got);
        Assert.Equal(Dataset[0].Name, got.Name);
        Assert.True(got.Embedding.IsEmpty);
    }

    [StoreFact]
    public virtual async Task GetAsync_WhenKeyIsMissing_ReturnsNull()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset[0]);
        Assert.Null(await scope.Collection.GetAsync(12345));
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenNullablePropertiesAreNull_RoundTripsNulls()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        var record = new ConformanceRecord { Key = 77, Embedding = new float[] { 1, 2, 3, 4 } };
        await scope.Collection.UpsertAsync(record);

        var got = await scope.Collection.GetAsync(77);

        Assert.NotNull(got);
        Assert.Null(got.Name);
        Assert.Null(got.Payload);
        Assert.Null(got.Created);
        Assert.Null(got.Optional);
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenKeyExists_OverwritesTheRecord()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset[0]);
        var replacement = Record(Dataset[0].Key, "replaced", rating: 42, isActive: false, optional: 1, [0, 0, 0, 2]);

        await scope.Collection.UpsertAsync(replacement);

        var got = await scope.Collection.GetAsync(Dataset[0].Key, new RecordRetrievalOptions { IncludeVectors = true });
        Assert.NotNull(got);
        AssertSameData(replacement, got);
        AssertSameVector(replacement.Embedding.ToArray(), got.Embedding.ToArray());
        Assert.Single(await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => r.Key == Dataset[0].Key, top: 10)));
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenBatch_GetByKeysReturnsEachStoredRecord()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        var got = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync([2, 4, 999, 6], new RecordRetrievalOptions { IncludeVectors = true }));

        Assert.Equal([2, 4, 6], got.Select(r => r.Key).Order());
        foreach (var record in got)
        {
            var expected = Dataset.Single(d => d.Key == record.Key);
            AssertSameData(expected, record);
            AssertSameVector(expected.Embedding.ToArray(), record.Embedding.ToArray());
        }
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenVectorsAreSlicesOfOneArray_StoresEachRecordsOwnSlice()
    {
        // Vectors produced in one batch (an embedding model's output) often share an array; a store must read each
        // record's window of it, not the array from its start.
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        float[] shared = [9, 9, 9, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 9];
        var batch = new[]
        {
            Record(1, "one", rating: 1, isActive: true, optional: null, []),
            Record(2, "two", rating: 2, isActive: true, optional: null, []),
            Record(3, "three", rating: 3, isActive: true, optional: null, []),
        };
        batch[0].Embedding = shared.AsMemory(3, 4);
        batch[1].Embedding = shared.AsMemory(7, 4);
        batch[2].Embedding = shared.AsMemory(11, 4);

        await scope.Collection.UpsertAsync(batch);

        var got = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync([1, 2, 3], new RecordRetrievalOptions { IncludeVectors = true }));
        Assert.Equal(3, got.Count);
        foreach (var record in got)
        {
            AssertSameVector(batch[record.Key - 1].Embedding.ToArray(), record.Embedding.ToArray());
        }

        Assert.Equal([9f, 9f, 9f], shared[..3]);
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenBatchOverlapsStoredKeys_OverwritesThemAndKeepsTheRest()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset.Take(3));
        var batch = new[]
        {
            Record(3, "gamma2", rating: 30, isActive: false, optional: 3, [1, 1, 0, 0]),
            Record(4, "delta", rating: 4, isActive: false, optional: 7, [0, 0, 0, 1]),
        };

        await scope.Collection.UpsertAsync(batch);

        var all = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => true, top: 100));
        Assert.Equal([1, 2, 3, 4], all.Select(r => r.Key).Order());
        Assert.Equal("gamma2", all.Single(r => r.Key == 3).Name);
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenBatchIsEmpty_DoesNothing()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync([]);
        Assert.Empty(await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => true, top: 10)));
    }

    [StoreFact]
    public virtual async Task DeleteAsync_WhenSingleKey_RemovesOnlyThatRecord()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        await scope.Collection.DeleteAsync(3);

        Assert.Null(await scope.Collection.GetAsync(3));
        Assert.Equal(Dataset.Count - 1, (await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => true, top: 100))).Count);
    }

    [StoreFact]
    public virtual async Task DeleteAsync_WhenBatchOfKeys_RemovesOnlyThoseRecords()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        await scope.Collection.DeleteAsync([1, 5, 999]);

        var left = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => true, top: 100));
        Assert.Equal([2, 3, 4, 6], left.Select(r => r.Key).Order());
    }

    [StoreFact]
    public virtual async Task DeleteAsync_WhenKeyIsMissing_DoesNotThrow()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.DeleteAsync(404);
        await scope.Collection.DeleteAsync([404, 405]);
    }

    [StoreFact]
    public virtual Task UpsertAsync_WhenKeyIsString_RoundTrips() => AssertKeyRoundTripAsync("key-1", "key-2");

    [StoreFact]
    public virtual Task UpsertAsync_WhenKeyIsInt_RoundTrips() => AssertKeyRoundTripAsync(-7, int.MaxValue);

    [StoreFact]
    public virtual Task UpsertAsync_WhenKeyIsLong_RoundTrips() => AssertKeyRoundTripAsync(long.MinValue, 1L << 40);

    [StoreFact]
    public virtual Task UpsertAsync_WhenKeyIsGuid_RoundTrips() =>
        AssertKeyRoundTripAsync(new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"), new Guid("7c9e6679-7425-40de-944b-e07fc1f90ae7"));

    [StoreFact]
    public virtual async Task UpsertAsync_WhenVectorHasWrongDimension_ThrowsArgumentException()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        var bad = Record(1, "bad", rating: 1, isActive: true, optional: null, [1, 2, 3]);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => scope.Collection.UpsertAsync(bad));
        Assert.Null(await scope.Collection.GetAsync(1));
    }

    // ---- Search ----

    [StoreFact]
    public virtual Task SearchAsync_WhenCosineDistance_ReturnsDistancesInAscendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.CosineDistance, 0, 2, 1, [0, 2, 1]);

    [StoreFact]
    public virtual Task SearchAsync_WhenCosineSimilarity_ReturnsSimilaritiesInDescendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.CosineSimilarity, 1, -1, 0, [0, 2, 1]);

    [StoreFact]
    public virtual Task SearchAsync_WhenDotProductSimilarity_ReturnsSimilaritiesInDescendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.DotProductSimilarity, 1, -1, 0, [0, 2, 1]);

    [StoreFact]
    public virtual Task SearchAsync_WhenNegativeDotProductSimilarity_ReturnsScoresInAscendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.NegativeDotProductSimilarity, -1, 1, 0, [0, 2, 1]);

    [StoreFact]
    public virtual Task SearchAsync_WhenEuclideanDistance_ReturnsDistancesInAscendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.EuclideanDistance, 0, 2, Math.Sqrt(3), [0, 2, 1]);

    [StoreFact]
    public virtual Task SearchAsync_WhenEuclideanSquaredDistance_ReturnsSquaredDistancesInAscendingOrder() =>
        AssertDistanceFunctionAsync(DistanceFunction.EuclideanSquaredDistance, 0, 4, 3, [0, 2, 1]);

    [StoreFact]
    public virtual async Task SearchAsync_WhenTopAndSkip_ReturnsThatWindowOfTheRanking()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var query = new float[] { 1, 0, 0, 0 };
        var expected = ExpectedEuclideanRanking(query);

        var all = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: Dataset.Count));
        var window = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 2, new VectorSearchOptions<ConformanceRecord> { Skip = 1 }));

        AssertRanking(expected, all);
        AssertRanking(expected.Skip(1).Take(2).ToList(), window);
        for (var i = 0; i < all.Count; i++)
        {
            Assert.Equal(expected[i].Score, all[i].Score!.Value, ScoreTolerance);
        }
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenIncludeVectorsIsSet_ReturnsVectorsOnlyThen()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var query = new float[] { 0, 0, 1, 0 };

        var without = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 1));
        var with = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 1, new VectorSearchOptions<ConformanceRecord> { IncludeVectors = true }));

        Assert.Equal(3, without.Single().Record.Key);
        Assert.True(without.Single().Record.Embedding.IsEmpty);
        AssertSameVector([0, 0, 1, 0], with.Single().Record.Embedding.ToArray());
        AssertSameData(Dataset[2], with.Single().Record);
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenInputIsArrayMemoryOrEmbedding_ReturnsTheSameResults()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        float[] query = [0.6f, 0.4f, 0, 0];

        var fromArray = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 3));
        var fromMemory = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new ReadOnlyMemory<float>(query), top: 3));
        var fromEmbedding = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new Embedding<float>(query), top: 3));

        Assert.Equal(fromArray.Select(r => (r.Record.Key, r.Score)), fromMemory.Select(r => (r.Record.Key, r.Score)));
        Assert.Equal(fromArray.Select(r => (r.Record.Key, r.Score)), fromEmbedding.Select(r => (r.Record.Key, r.Score)));
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenQueryHasWrongDimension_ThrowsArgumentException()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        await Assert.ThrowsAnyAsync<ArgumentException>(() => AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new float[] { 1, 0, 0 }, top: 1)).AsTask());
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenFilterIsGiven_RanksOnlyMatchingRecords()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var query = new float[] { 1, 0, 0, 0 };
        Expression<Func<ConformanceRecord, bool>> filter = r => !r.IsActive && r.Rating >= 2;
        var expected = ExpectedEuclideanRanking(query).Where(e => filter.Compile()(Dataset.Single(d => d.Key == e.Key))).ToList();

        var results = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 10, new VectorSearchOptions<ConformanceRecord> { Filter = filter }));

        AssertRanking(expected, results);
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenScoreThresholdIsGiven_DropsWorseScores()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var query = new float[] { 1, 0, 0, 0 };
        var expected = ExpectedEuclideanRanking(query).Where(e => e.Score <= 1.0).ToList();

        var results = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(query, top: 10, new VectorSearchOptions<ConformanceRecord> { ScoreThreshold = 1.0 }));

        AssertRanking(expected, results);
    }

    // ---- Filters (each checked against LINQ to objects on the same records) ----

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsEqual_ReturnsMatches() => AssertFilterAsync(r => r.Rating == 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsNotEqual_ReturnsMatches() => AssertFilterAsync(r => r.Rating != 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsLessThan_ReturnsMatches() => AssertFilterAsync(r => r.Rating < 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsLessThanOrEqual_ReturnsMatches() => AssertFilterAsync(r => r.Rating <= 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsGreaterThan_ReturnsMatches() => AssertFilterAsync(r => r.Rating > 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsGreaterThanOrEqual_ReturnsMatches() => AssertFilterAsync(r => r.Rating >= 3);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsStringEquality_ReturnsMatches() => AssertFilterAsync(r => r.Name == "alpha");

    [StoreFact]
    public virtual Task GetAsync_WhenFilterComparesWithNull_ReturnsMatches() => AssertFilterAsync(r => r.Name == null);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsNotEqualOnNullableColumn_KeepsNullRows() => AssertFilterAsync(r => r.Optional != 5);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterNegatesComparisonOnNullableColumn_KeepsNullRows() => AssertFilterAsync(r => !(r.Optional > 6));

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsAnd_ReturnsMatches() => AssertFilterAsync(r => r.Rating >= 2 && r.Name == "alpha");

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsOr_ReturnsMatches() => AssertFilterAsync(r => r.Rating == 1 || r.Name == "delta");

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsNot_ReturnsMatches() => AssertFilterAsync(r => !(r.Rating == 2 || r.Rating == 4));

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsBoolProperty_ReturnsMatches() => AssertFilterAsync(r => r.IsActive);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsNegatedBoolProperty_ReturnsMatches() => AssertFilterAsync(r => !r.IsActive);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterUsesCapturedVariables_ReturnsMatches()
    {
        var name = "gamma";
        var minimum = 4;
        return AssertFilterAsync(r => r.Name == name || r.Rating >= minimum);
    }

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsContainsOnArray_ReturnsMatches()
    {
        string[] names = ["beta", "delta", "omega"];
        return AssertFilterAsync(r => names.Contains(r.Name));
    }

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsContainsOnList_ReturnsMatches()
    {
        var ratings = new List<int> { 1, 3 };
        return AssertFilterAsync(r => ratings.Contains(r.Rating));
    }

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsStartsWith_ReturnsOrdinalPrefixMatchesAndSkipsNulls()
    {
        var prefix = "al";
        return AssertFilterAsync(r => (r.Name != null && r.Name.StartsWith(prefix, StringComparison.Ordinal)) || r.Rating == 2);
    }

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsOnKey_ReturnsMatches() => AssertFilterAsync(r => r.Key > 4);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsOnDoubleAndLong_ReturnsMatches() => AssertFilterAsync(r => r.Weight > 2.5 && r.Count <= 400L);

    [StoreFact]
    public virtual Task GetAsync_WhenFilterIsOnDateTimeOffset_ReturnsMatches()
    {
        var cutoff = s_created.AddDays(3);
        return AssertFilterAsync(r => r.Created >= cutoff);
    }

    [StoreFact]
    public virtual async Task GetAsync_WhenFilterIsNotTranslatable_ThrowsNotSupportedException()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        await Assert.ThrowsAsync<NotSupportedException>(
            () => AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => r.Name!.EndsWith("ta", StringComparison.Ordinal), top: 10)).AsTask());
    }

    [StoreFact]
    public virtual async Task GetAsync_WhenFilterWithTopSkipAndOrderBy_ReturnsThatPage()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var options = new FilteredRecordRetrievalOptions<ConformanceRecord>
        {
            Skip = 1,
            OrderBy = o => o.Descending(r => r.Rating).Ascending(r => r.Key),
        };

        var page = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => r.Rating > 1, top: 3, options));

        var expected = Dataset.Where(r => r.Rating > 1).OrderByDescending(r => r.Rating).ThenBy(r => r.Key).Skip(1).Take(3);
        Assert.Equal(expected.Select(r => r.Key), page.Select(r => r.Key));
    }

    // ---- What MEVD's own conformance tests expect ----

    [StoreFact]
    public virtual async Task DynamicRecord_WhenAPropertyIsNull_KeepsItOnRead()
    {
        await using var scope = await CreateDynamicAsync(DynamicRecords.Definition());
        await scope.Collection.UpsertAsync(DynamicRecords.Record(1, name: null, flag: true, optional: null, [1, 0, 0, 0]));

        var got = await scope.Collection.GetAsync(1);
        var found = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => (int)r["Key"]! == 1, top: 1));

        Assert.NotNull(got);
        Assert.True(got.ContainsKey("Name"));
        Assert.Null(got["Name"]);
        Assert.Null(got["Optional"]);
        Assert.Equal(true, got["Flag"]);
        Assert.Null(Assert.Single(found)["Name"]);
    }

    [StoreFact]
    public virtual async Task DynamicRecord_WhenFilterIsABareBool_ReturnsMatches()
    {
        await using var scope = await CreateDynamicAsync(DynamicRecords.Definition());
        await scope.Collection.UpsertAsync(
        [
            DynamicRecords.Record(1, "a", flag: true, optional: 1, [1, 0, 0, 0]),
            DynamicRecords.Record(2, "b", flag: false, optional: 2, [0, 1, 0, 0]),
            DynamicRecords.Record(3, "c", flag: true, optional: null, [0, 0, 1, 0]),
        ]);

        var flagged = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => (bool)r["Flag"]!, top: 10));
        var unflagged = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => !(bool)r["Flag"]!, top: 10));
        var searched = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(
            new float[] { 1, 0, 0, 0 }, top: 10, new VectorSearchOptions<Dictionary<string, object?>> { Filter = r => (bool)r["Flag"]! }));

        Assert.Equal([1, 3], flagged.Select(r => (int)r["Key"]!).Order());
        Assert.Equal([2], unflagged.Select(r => (int)r["Key"]!));
        Assert.Equal([1, 3], searched.Select(r => (int)r.Record["Key"]!).Order());
    }

    [StoreFact]
    public virtual async Task GetAsync_WhenFilterHasANestedLambda_ThrowsNotSupportedException()
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);

        await Assert.ThrowsAsync<NotSupportedException>(
            () => AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => r.Name!.Any(c => c == 'l'), top: 10)).AsTask());
        await Assert.ThrowsAsync<NotSupportedException>(() => AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(
            new float[] { 1, 0, 0, 0 }, top: 10, new VectorSearchOptions<ConformanceRecord> { Filter = r => r.Name!.Any(c => c == 'l') })).AsTask());
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenGuidKeyIsEmpty_GeneratesANewKeyOnTheRecord()
    {
        await using var scope = await CreateAsync<Guid, KeyedRecord<Guid>>();
        var first = new KeyedRecord<Guid> { Key = Guid.Empty, Text = "first", Vector = [1, 0] };
        var second = new KeyedRecord<Guid> { Key = Guid.Empty, Text = "second", Vector = [0, 1] };

        await scope.Collection.UpsertAsync(first);
        await scope.Collection.UpsertAsync([second]);

        Assert.NotEqual(Guid.Empty, first.Key);
        Assert.NotEqual(Guid.Empty, second.Key);
        Assert.NotEqual(first.Key, second.Key);
        Assert.Equal("first", (await scope.Collection.GetAsync(first.Key))?.Text);
        Assert.Equal("second", (await scope.Collection.GetAsync(second.Key))?.Text);
        Assert.Null(await scope.Collection.GetAsync(Guid.Empty));
    }

    [StoreFact]
    public virtual async Task SearchAsync_WhenSeveralVectorsAndNoneIsNamed_ThrowsMevdsMessage()
    {
        await using var scope = await CreateAsync<int, TwoVectorRecord>();
        await scope.Collection.UpsertAsync(new TwoVectorRecord { Key = 1, First = [1, 0], Second = [0, 1] });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new float[] { 1, 0 }, top: 1)).AsTask());
        var named = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(
            new float[] { 0, 1 }, top: 1, new VectorSearchOptions<TwoVectorRecord> { VectorProperty = r => r.Second }));

        Assert.Equal($"The '{nameof(TwoVectorRecord)}' type has multiple vector properties, please specify your chosen property via options.", e.Message);
        Assert.Equal(1, Assert.Single(named).Record.Key);
    }

    [StoreFact]
    public virtual async Task UpsertAsync_WhenRecordHasNoVector_RoundTripsAndSearchSaysSo()
    {
        await using var scope = await CreateAsync<int, NoVectorRecord>();
        await scope.Collection.UpsertAsync([new NoVectorRecord { Key = 1, Text = "one" }, new NoVectorRecord { Key = 2, Text = "two" }]);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new float[] { 1, 0 }, top: 1)).AsTask());

        Assert.Equal("two", (await scope.Collection.GetAsync(2))?.Text);
        Assert.Equal(["one"], (await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(r => r.Text == "one", top: 10))).Select(r => r.Text));
        Assert.Equal($"The '{nameof(NoVectorRecord)}' type does not have any vector properties.", e.Message);
    }

    [StoreFact]
    public virtual async Task EmbeddingGeneration_WhenTheVectorIsText_EmbedsItOrThrowsNotSupportedException()
    {
        var generator = new AxisWordGenerator();
        VectorStoreCollectionDefinition definition = DynamicRecords.GeneratedDefinition(generator);
        if (!SupportsEmbeddingGeneration)
        {
            Assert.Throws<NotSupportedException>(() => GetDynamicCollection(NewName(), definition));
            return;
        }

        await using var scope = await CreateDynamicAsync(definition);
        await scope.Collection.UpsertAsync(AxisWordGenerator.Words.Select((w, i) => new Dictionary<string, object?> { ["Key"] = i, ["Embedding"] = w }));

        var nearest = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync("south", top: 1));

        Assert.Equal(2, (int)Assert.Single(nearest).Record["Key"]!);
        Assert.Equal(AxisWordGenerator.Words.Length + 1, generator.Embedded);
    }

    // ---- Helpers ----

    /// <summary>Creates a fresh, existing collection that is deleted when the scope is disposed.</summary>
    protected async Task<CollectionScope<TKey, TRecord>> CreateAsync<TKey, TRecord>(VectorStoreCollectionDefinition? definition = null)
        where TKey : notnull
        where TRecord : class
    {
        var name = NewName();
        var collection = GetCollection<TKey, TRecord>(name, definition);
        await collection.EnsureCollectionExistsAsync();
        return new CollectionScope<TKey, TRecord>(name, collection);
    }

    /// <summary>Creates a fresh, existing dynamic collection that is deleted when the scope is disposed.</summary>
    protected async Task<CollectionScope<object, Dictionary<string, object?>>> CreateDynamicAsync(VectorStoreCollectionDefinition definition)
    {
        var name = NewName();
        var collection = GetDynamicCollection(name, definition);
        await collection.EnsureCollectionExistsAsync();
        return new CollectionScope<object, Dictionary<string, object?>>(name, collection);
    }

    /// <summary>A new collection name, unique per call.</summary>
    protected static string NewName() => "conf_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Asserts that a returned vector is the stored one (bit for bit, unless a store overrides this).</summary>
    protected virtual void AssertSameVector(float[] expected, float[] actual) => Assert.Equal(expected, actual);

    /// <summary>
    /// Asserts that <paramref name="actual"/> ranks the records as <paramref name="expected"/> does (the exact
    /// scores, ties broken by key). A store whose scores carry rounding noise may override this to accept any order
    /// among equal scores.
    /// </summary>
    protected virtual void AssertRanking(IReadOnlyList<(int Key, double Score)> expected, IReadOnlyList<VectorSearchResult<ConformanceRecord>> actual) =>
        Assert.Equal(expected.Select(e => e.Key), actual.Select(r => r.Record.Key));

    protected static ConformanceRecord Record(int key, string? name, int rating, bool isActive, int? optional, float[] embedding) => new()
    {
        Key = key,
        Name = name,
        Rating = rating,
        Count = key * 100L,
        Price = key + 0.25f,
        Weight = key * 1.5,
        IsActive = isActive,
        Payload = [(byte)key, 0, 255],
        Created = s_created.AddDays(key),
        Optional = optional,
        Embedding = embedding,
    };

    protected static void AssertSameData(ConformanceRecord expected, ConformanceRecord actual)
    {
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Rating, actual.Rating);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Price, actual.Price);
        Assert.Equal(expected.Weight, actual.Weight);
        Assert.Equal(expected.IsActive, actual.IsActive);
        Assert.Equal(expected.Payload, actual.Payload);
        Assert.Equal(expected.Created, actual.Created);
        Assert.Equal(expected.Optional, actual.Optional);
    }

    private async Task AssertFilterAsync(Expression<Func<ConformanceRecord, bool>> filter)
    {
        await using var scope = await CreateAsync<int, ConformanceRecord>();
        await scope.Collection.UpsertAsync(Dataset);
        var expected = Dataset.Where(filter.Compile()).Select(r => r.Key).Order().ToList();

        var actual = await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync(filter, top: 100));

        Assert.Equal(expected, actual.Select(r => r.Key).Order());
        var search = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(
            new float[] { 1, 0, 0, 0 }, top: 100, new VectorSearchOptions<ConformanceRecord> { Filter = filter }));
        Assert.Equal(expected, search.Select(r => r.Record.Key).Order());
    }

    private async Task AssertKeyRoundTripAsync<TKey>(TKey first, TKey second)
        where TKey : notnull
    {
        await using var scope = await CreateAsync<TKey, KeyedRecord<TKey>>();
        await scope.Collection.UpsertAsync(
        [
            new KeyedRecord<TKey> { Key = first, Text = "first", Vector = [1, 0] },
            new KeyedRecord<TKey> { Key = second, Text = "second", Vector = [0, 1] },
        ]);

        Assert.Equal("first", (await scope.Collection.GetAsync(first))?.Text);
        Assert.Equal(2, (await AsyncEnumerable.ToListAsync(scope.Collection.GetAsync([first, second]))).Count);
        var nearest = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new float[] { 0, 2 }, top: 1));
        Assert.Equal(second, nearest.Single().Record.Key);

        await scope.Collection.DeleteAsync(first);
        Assert.Null(await scope.Collection.GetAsync(first));
        Assert.NotNull(await scope.Collection.GetAsync(second));
    }

    /// <summary>
    /// Base, opposite and orthogonal vectors against the base query, as in MEVD's own DistanceFunctionTests:
    /// the expected scores of the three and the expected ranking (indexes into base, opposite, orthogonal).
    /// </summary>
    private async Task AssertDistanceFunctionAsync(string distanceFunction, double baseScore, double oppositeScore, double orthogonalScore, int[] expectedOrder)
    {
        await using var scope = await CreateAsync<int, DistanceRecord>(DistanceRecord.Definition(distanceFunction));
        float[][] vectors = [[1, 0, 0, 0], [-1, 0, 0, 0], [0, 1, 1, 0]];
        await scope.Collection.UpsertAsync(vectors.Select((v, i) => new DistanceRecord { Key = i, Vector = new Embedding<float>(v) }));
        double[] expectedScores = [baseScore, oppositeScore, orthogonalScore];

        var results = await AsyncEnumerable.ToListAsync(scope.Collection.SearchAsync(new float[] { 1, 0, 0, 0 }, top: 3, new VectorSearchOptions<DistanceRecord> { IncludeVectors = true }));

        Assert.Equal(expectedOrder, results.Select(r => r.Record.Key));
        foreach (var result in results)
        {
            Assert.Equal(expectedScores[result.Record.Key], result.Score!.Value, ScoreTolerance);
            Assert.Equal(vectors[result.Record.Key], result.Record.Vector!.Vector.ToArray());
        }
    }

    private static List<(int Key, double Score)> ExpectedEuclideanRanking(float[] query) => Dataset
        .Select(r => (r.Key, Score: Math.Sqrt(r.Embedding.ToArray().Zip(query, (a, b) => (double)(a - b) * (a - b)).Sum())))
        .OrderBy(e => e.Score)
        .ThenBy(e => e.Key)
        .ToList();

    /// <summary>A collection that exists for one test and is deleted afterwards.</summary>
    protected sealed class CollectionScope<TKey, TRecord>(string name, VectorStoreCollection<TKey, TRecord> collection) : IAsyncDisposable
        where TKey : notnull
        where TRecord : class
    {
        public string Name { get; } = name;

        public VectorStoreCollection<TKey, TRecord> Collection { get; } = collection;

        public async ValueTask DisposeAsync()
        {
            await Collection.EnsureCollectionDeletedAsync();
            Collection.Dispose();
        }
    }
}
