using System.Linq.Expressions;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;

namespace Veil.Extensions.Tests;

public sealed class EncryptingVectorStoreCollectionTests(RotatingClients keys) : IClassFixture<RotatingClients>
{
    private static readonly float[][] s_vectors = Synthetic.Clustered(60, 6, 0.6f, seed: 7);

    [Fact]
    public async Task UpsertAsync_WhenRecordsStored_InnerSeesOnlyCiphertext()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        Doc[] records = Enumerable.Range(0, 10).Select(i => Synthetic.Record(i, s_vectors[i])).ToArray();

        await collection.UpsertAsync(records);

        Assert.Equal(10, inner.Upserted.Count);
        foreach (Doc stored in inner.Upserted)
        {
            Doc original = records.Single(r => r.Id == stored.Id);
            float[] ciphertext = stored.Embedding!.Value.ToArray();
            Assert.Equal(Doc.Dimensions, ciphertext.Length);
            Assert.True(TensorPrimitives.Distance(ciphertext, original.Embedding!.Value.Span) > 0.1f, "the stored vector is the plaintext");
            Assert.Equal(54, Convert.FromBase64String(stored.EmbeddingInfo!).Length);
            Assert.NotEqual(original.Category, stored.Category);
            Assert.Equal(22 + original.Category!.Length, Convert.FromBase64String(stored.Category!).Length);
            Assert.NotEqual(original.Title, stored.Title);
            Assert.DoesNotContain("Title", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(stored.Title!)), StringComparison.Ordinal);
            Assert.Equal(original.Year, stored.Year);
        }

        // The caller's records are not modified.
        Assert.Equal("Title 0", records[0].Title);
        Assert.Null(records[0].EmbeddingInfo);
        Assert.Equal(s_vectors[0], records[0].Embedding!.Value.ToArray());
    }

    [Fact]
    public async Task UpsertAsync_WhenSameValuesTwice_DeterministicCiphertextsMatchAndStandardOnesDiffer()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        Doc first = Synthetic.Record(1, s_vectors[1], "same");
        Doc second = Synthetic.Record(2, s_vectors[2], "same");
        second.Title = first.Title;

        await collection.UpsertAsync([first, second]);

        Assert.Equal(inner.Upserted[0].Category, inner.Upserted[1].Category);
        Assert.NotEqual(inner.Upserted[0].Title, inner.Upserted[1].Title);
    }

    [Fact]
    public async Task GetAsync_WhenIncludeVectors_ReturnsDecryptedRecord()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(Synthetic.Record(3, s_vectors[3]));

        Doc? record = await collection.GetAsync("doc-3", new RecordRetrievalOptions { IncludeVectors = true });

        Assert.NotNull(record);
        Assert.Equal("cat-0", record.Category);
        Assert.Equal("Title 3", record.Title);
        Assert.Equal(2003, record.Year);
        Assert.True(TensorPrimitives.Distance(record.Embedding!.Value.Span, s_vectors[3]) < 1e-4f);
    }

    [Fact]
    public async Task GetAsync_WhenVectorsNotIncluded_ReturnsDecryptedFieldsWithoutVector()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync([Synthetic.Record(4, s_vectors[4]), Synthetic.Record(5, s_vectors[5])]);

        List<Doc> records = await collection.GetAsync(["doc-4", "doc-5", "missing"]).ToListAsync();

        Assert.Equal(["Title 4", "Title 5"], records.Select(r => r.Title).Order());
        Assert.All(records, r => Assert.Null(r.Embedding));
        Assert.Null(await collection.GetAsync("missing"));
    }

    [Fact]
    public async Task SearchAsync_WhenQueryIsAStoredVector_ReturnsItFirstWithExactScore()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(s_vectors.Select((v, i) => Synthetic.Record(i, v)));

        List<VectorSearchResult<Doc>> results = await collection.SearchAsync(s_vectors[17], 5).ToListAsync();

        Assert.Equal(5, results.Count);
        Assert.Equal("doc-17", results[0].Record.Id);
        Assert.Equal("Title 17", results[0].Record.Title);
        Assert.Equal(1.0, results[0].Score!.Value, 4);
        double[] exact = results.Select(r => (double)TensorPrimitives.CosineSimilarity(s_vectors[int.Parse(r.Record.Id[4..])], s_vectors[17])).ToArray();
        Assert.Equal(exact, results.Select(r => r.Score!.Value), (a, b) => Math.Abs(a - b) < 1e-5);
        Assert.All(results, r => Assert.Null(r.Record.Embedding));

        // The store saw one encrypted query per live key, K' deep, and never the plaintext.
        Assert.Equal(2, inner.SearchValues.Count);
        Assert.All(inner.SearchValues, q => Assert.True(TensorPrimitives.Distance((float[])q, s_vectors[17]) > 0.1f));
        Assert.All(inner.SearchTops, top => Assert.Equal(EncryptingCollectionOptions.DefaultRerankCandidates, top));
    }

    [Fact]
    public async Task SearchAsync_WhenSkipAndIncludeVectors_PagesExactRankingAndDecryptsVectors()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(s_vectors.Select((v, i) => Synthetic.Record(i, v)));

        List<VectorSearchResult<Doc>> all = await collection.SearchAsync(s_vectors[0], 6).ToListAsync();
        List<VectorSearchResult<Doc>> page = await collection.SearchAsync(s_vectors[0], 3, new VectorSearchOptions<Doc> { Skip = 3, IncludeVectors = true }).ToListAsync();

        Assert.Equal(all.Skip(3).Select(r => r.Record.Id), page.Select(r => r.Record.Id));
        Assert.All(page, r => Assert.True(TensorPrimitives.Distance(r.Record.Embedding!.Value.Span, s_vectors[int.Parse(r.Record.Id[4..])]) < 1e-4f));
    }

    [Fact]
    public async Task SearchAsync_WhenFilteringDeterministicEquality_ReturnsOnlyMatchesAndStoreNeverSeesPlaintext()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(s_vectors.Select((v, i) => Synthetic.Record(i, v)));
        string wanted = "cat-1";

        List<VectorSearchResult<Doc>> results = await collection.SearchAsync(
            s_vectors[0], 10, new VectorSearchOptions<Doc> { Filter = d => d.Category == wanted }).ToListAsync();

        Assert.Equal(10, results.Count);
        Assert.All(results, r => Assert.Equal("cat-1", r.Record.Category));
        Assert.All(inner.Filters, f => Assert.DoesNotContain("cat-1", f.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetAsync_WhenFilterValueWasEncryptedUnderInRotationKey_FindsIt()
    {
        var inner = new InMemoryCollection<string, Doc>();
        var oldWriter = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.OldOnlyClient, TestOptions.Create());
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create());
        await oldWriter.UpsertAsync(Synthetic.Record(1, s_vectors[1], "rotated"));
        await collection.UpsertAsync(Synthetic.Record(2, s_vectors[2], "rotated"));
        await collection.UpsertAsync(Synthetic.Record(3, s_vectors[3], "other"));

        List<Doc> found = await collection.GetAsync(d => d.Category == "rotated", 10).ToListAsync();
        List<Doc> notFound = await collection.GetAsync(d => d.Category != "rotated", 10).ToListAsync();

        Assert.Equal(["doc-1", "doc-2"], found.Select(d => d.Id).Order());
        Assert.Equal(["doc-3"], notFound.Select(d => d.Id));
        Assert.Contains("OrElse", inner.Filters[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_WhenFilterUsesContainsOnValues_MatchesAnyValue()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(Enumerable.Range(0, 9).Select(i => Synthetic.Record(i, s_vectors[i])));
        string[] categories = ["cat-0", "cat-2"];

        List<Doc> found = await collection.GetAsync(d => categories.Contains(d.Category), 100).ToListAsync();

        Assert.Equal(6, found.Count);
        Assert.All(found, d => Assert.Contains(d.Category, categories));
    }

    [Fact]
    public async Task GetAsync_WhenFilterIsOnPlaintextPropertyAndNull_PassesThrough()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        Doc noCategory = Synthetic.Record(9, s_vectors[9]);
        noCategory.Category = null;
        await collection.UpsertAsync([Synthetic.Record(1, s_vectors[1]), Synthetic.Record(5, s_vectors[5]), noCategory]);

        List<Doc> recent = await collection.GetAsync(d => d.Year > 2002, 10).ToListAsync();
        List<Doc> uncategorised = await collection.GetAsync(d => d.Category == null, 10).ToListAsync();

        Assert.Equal(["doc-5", "doc-9"], recent.Select(d => d.Id).Order());
        Assert.Equal("d => (d.Year > 2002)", inner.Filters[0].ToString());
        Assert.Equal(["doc-9"], uncategorised.Select(d => d.Id));
    }

    public static TheoryData<Expression<Func<Doc, bool>>> UnsupportedFilters() =>
    [
        d => d.Category!.StartsWith("cat", StringComparison.Ordinal),
        d => string.Compare(d.Category, "cat-1", StringComparison.Ordinal) > 0,
        d => d.Category!.Length == 5,
        d => d.Title == "Title 1",
        d => d.Title != null && d.Title.Contains('1', StringComparison.Ordinal),
        d => d.Category == d.Title,
    ];

    [Theory]
    [MemberData(nameof(UnsupportedFilters))]
    public async Task GetAsync_WhenFilterUsesUnsupportedOperatorOnEncryptedProperty_ThrowsNotSupported(Expression<Func<Doc, bool>> filter)
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();

        NotSupportedException error = await Assert.ThrowsAsync<NotSupportedException>(async () => await collection.GetAsync(filter, 10).ToListAsync());
        await Assert.ThrowsAsync<NotSupportedException>(async () =>
            await collection.SearchAsync(s_vectors[0], 10, new VectorSearchOptions<Doc> { Filter = filter }).ToListAsync());

        Assert.Contains("encrypted property", error.Message, StringComparison.Ordinal);
        Assert.Empty(inner.Filters);
    }

    [Fact]
    public async Task GetAsync_WhenOrderByEncryptedProperty_ThrowsNotSupported()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        var options = new FilteredRecordRetrievalOptions<Doc> { OrderBy = o => o.Ascending(d => d.Title!) };

        await Assert.ThrowsAsync<NotSupportedException>(async () => await collection.GetAsync(d => d.Year > 0, 10, options).ToListAsync());
    }

    [Fact]
    public async Task SearchAsync_WhenRecordsWereWrittenUnderOldKey_MergesResultsOfBothKeys()
    {
        foreach (bool rerank in new[] { true, false })
        {
            var inner = new InMemoryCollection<string, Doc>();
            var oldWriter = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.OldOnlyClient, TestOptions.Create(rerank: rerank));
            var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create(rerank: rerank));
            await oldWriter.UpsertAsync(Enumerable.Range(0, 30).Select(i => Synthetic.Record(i, s_vectors[i])));
            await collection.UpsertAsync(Enumerable.Range(30, 30).Select(i => Synthetic.Record(i, s_vectors[i])));

            VectorSearchResult<Doc> oldHit = (await collection.SearchAsync(s_vectors[4], 3).ToListAsync())[0];
            VectorSearchResult<Doc> newHit = (await collection.SearchAsync(s_vectors[44], 3).ToListAsync())[0];
            var newOnly = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.CurrentOnlyClient, TestOptions.Create(rerank: rerank));

            Assert.Equal("doc-4", oldHit.Record.Id);
            Assert.Equal("Title 4", oldHit.Record.Title);
            Assert.Equal("doc-44", newHit.Record.Id);
            if (!rerank)
            {
                // Without re-ranking a client that lacks the old key never sees the old records at all.
                Assert.DoesNotContain(await newOnly.SearchAsync(s_vectors[4], 10).ToListAsync(), r => int.Parse(r.Record.Id[4..]) < 30);
            }
        }
    }

    [Fact]
    public async Task GetAsync_WhenStoredFieldWasTampered_ThrowsCryptographicExceptionNamingTheRecord()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(Synthetic.Record(7, s_vectors[7]));
        inner.Tamper("doc-7", d =>
        {
            byte[] bytes = Convert.FromBase64String(d.Title!);
            bytes[^1] ^= 1;
            d.Title = Convert.ToBase64String(bytes);
        });

        CryptographicException error = await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-7"));

        Assert.Contains("doc-7", error.Message, StringComparison.Ordinal);
        Assert.Contains("Title", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Title 7", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchAsync_WhenCandidateVectorWasTampered_ThrowsCryptographicExceptionNamingKeyId()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(s_vectors.Take(20).Select((v, i) => Synthetic.Record(i, v)));
        inner.Tamper("doc-8", d =>
        {
            float[] vector = d.Embedding!.Value.ToArray();
            vector[0] += 0.01f;
            d.Embedding = vector;
        });

        CryptographicException error = await Assert.ThrowsAsync<CryptographicException>(async () => await collection.SearchAsync(s_vectors[8], 3).ToListAsync());
        Assert.Contains("doc-8", error.Message, StringComparison.Ordinal);
        Assert.Contains("key id 2", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<CryptographicException>(() => collection.GetAsync("doc-8", new RecordRetrievalOptions { IncludeVectors = true }));
    }

    [Fact]
    public async Task Operations_WhenInnerStoreThrows_ExceptionPassesThroughUnwrapped()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        await collection.UpsertAsync(Synthetic.Record(1, s_vectors[1]));
        var failure = new VectorStoreException("store is down");
        inner.OnOperation = _ => throw failure;

        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(() => collection.UpsertAsync(Synthetic.Record(2, s_vectors[2]))));
        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(() => collection.GetAsync("doc-1")));
        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(async () => await collection.SearchAsync(s_vectors[1], 1).ToListAsync()));
        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(async () => await collection.GetAsync(d => d.Category == "x", 1).ToListAsync()));
        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(() => collection.DeleteAsync("doc-1")));
        Assert.Same(failure, await Assert.ThrowsAsync<VectorStoreException>(() => collection.CollectionExistsAsync()));
    }

    [Fact]
    public async Task UpsertAsync_WhenOneWay_StoresNoCompanionAndSearchStillFinds()
    {
        var inner = new InMemoryCollection<string, Doc>();
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create(oneWay: true));
        Doc record = Synthetic.Record(1, s_vectors[1]);
        record.EmbeddingInfo = "caller-set";

        await collection.UpsertAsync([record, Synthetic.Record(2, s_vectors[2]), Synthetic.Record(30, s_vectors[30])]);
        List<VectorSearchResult<Doc>> results = await collection.SearchAsync(s_vectors[1], 1, new VectorSearchOptions<Doc> { IncludeVectors = true }).ToListAsync();
        Doc? fetched = await collection.GetAsync("doc-1", new RecordRetrievalOptions { IncludeVectors = true });

        Assert.All(inner.Upserted, d => Assert.Null(d.EmbeddingInfo));
        Assert.Equal("doc-1", results[0].Record.Id);
        Assert.Null(results[0].Record.Embedding);
        Assert.Equal(EncryptingCollectionOptions.DefaultRerankCandidates > 1 ? 1 : 1, inner.SearchTops[0]);
        Assert.Equal("Title 1", fetched!.Title);
        Assert.Null(fetched.Embedding);
    }

    [Fact]
    public async Task UpsertAsync_WhenVectorIsInvalid_ThrowsArgumentExceptionAndStoresNothing()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        float[] nan = (float[])s_vectors[0].Clone();
        nan[3] = float.NaN;

        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync([Synthetic.Record(1, s_vectors[1]), Synthetic.Record(2, nan)]));
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(Synthetic.Record(3, new float[5])));
        await Assert.ThrowsAsync<ArgumentException>(async () => await collection.SearchAsync(new float[5], 1).ToListAsync());
        await Assert.ThrowsAsync<NotSupportedException>(async () => await collection.SearchAsync("text query", 1).ToListAsync());

        Assert.Empty(inner.Upserted);
    }

    [Fact]
    public async Task UpsertAsync_WhenLazySequenceSpansPipelineChunks_StoresEveryRecordEncryptedInInputOrder()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        const int Count = (2 * EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows) + 123;

        await collection.UpsertAsync(Enumerable.Range(0, Count).Select(i => Synthetic.Record(i, s_vectors[i % s_vectors.Length])));

        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"doc-{i}"), inner.Upserted.Select(d => d.Id));
        Assert.All(inner.Upserted.Take(100), d => Assert.NotEqual($"Title {d.Id[4..]}", d.Title));
        Doc? last = await collection.GetAsync($"doc-{Count - 1}", new RecordRetrievalOptions { IncludeVectors = true });
        Assert.Equal($"Title {Count - 1}", last!.Title);
        Assert.Equal(s_vectors[(Count - 1) % s_vectors.Length], last.Embedding!.Value.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Theory]
    [InlineData(50, 1)]
    [InlineData(64, 3)]
    public async Task UpsertAsync_WhenUpsertChunksAreBounded_ReadsNoFurtherAheadOfTheStoreThanThey(int chunkRows, int chunksAhead)
    {
        var inner = new InMemoryCollection<string, Doc>();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.UpsertChunkRows = chunkRows;
        options.UpsertChunksAhead = chunksAhead;
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, options);
        const int Count = 3_000;
        int furthestAhead = 0;
        IEnumerable<Doc> Records()
        {
            for (int i = 0; i < Count; i++)
            {
                furthestAhead = Math.Max(furthestAhead, i - inner.Upserted.Count);
                yield return Synthetic.Record(i, s_vectors[i % s_vectors.Length]);
            }
        }

        await collection.UpsertAsync(Records());

        // Read ahead of what the store has taken: the chunk it is storing, those waiting and the one being read (one
        // chunk more of slack for a count read from another thread); with the defaults it would be thousands.
        Assert.InRange(furthestAhead, chunkRows - 1, (chunksAhead + 3) * chunkRows);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"doc-{i}"), inner.Upserted.Select(d => d.Id));
    }

    [Fact]
    public void UpsertChunkOptions_WhenLessThanOne_Throw()
    {
        EncryptingCollectionOptions options = TestOptions.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.UpsertChunkRows = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.UpsertChunksAhead = 0);
        Assert.Equal(EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows, options.UpsertChunkRows);
    }

    [Fact]
    public async Task UpsertAsync_WhenSequenceIsLong_StoresTheFirstChunkBeforeAFullChunkIsRead()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        const int First = EncryptingVectorStoreCollection<string, Doc>.PipelineFirstChunkRows;
        bool storedEarly = false;
        IEnumerable<Doc> Records()
        {
            for (int i = 0; i < 2 * EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows; i++)
            {
                if (i == 3 * First)
                {
                    // Within the second, larger chunk: the inner collection already has the first one.
                    storedEarly = SpinWait.SpinUntil(() => inner.Upserted.Count >= First, TimeSpan.FromSeconds(30));
                }

                yield return Synthetic.Record(i, s_vectors[i % s_vectors.Length]);
            }
        }

        await collection.UpsertAsync(Records());

        Assert.True(storedEarly);
        Assert.Equal(2 * EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows, inner.Upserted.Count);
    }

    [Fact]
    public async Task UpsertAsync_WhenEncryptionFailsInALaterChunk_ThrowsItAndStopsReadingTheSequence()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        const int Chunk = EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows;
        const int Bad = (3 * Chunk) + 5;
        float[] nan = (float[])s_vectors[0].Clone();
        nan[3] = float.NaN;
        int read = 0;
        IEnumerable<Doc> Records()
        {
            for (int i = 0; i < 100 * Chunk; i++)
            {
                read++;
                yield return Synthetic.Record(i, i == Bad ? nan : s_vectors[i % s_vectors.Length]);
            }
        }

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(Records()));

        // The reader runs at most a few chunks ahead of encryption, and stops once encryption has failed.
        Assert.Contains($"doc-{Bad}", e.Message, StringComparison.Ordinal);
        int readWhenReturned = read;
        Assert.InRange(readWhenReturned, Bad + 1, Bad + (12 * Chunk));
        await Task.Delay(100);
        Assert.Equal(readWhenReturned, read);
    }

    [Fact]
    public async Task UpsertAsync_WhenLazySequenceFails_ThrowsItsExceptionAndStopsReadingIt()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        int read = 0;
        IEnumerable<Doc> Failing()
        {
            for (int i = 0; i < 100_000; i++)
            {
                read++;
                yield return i == 20_000 ? throw new InvalidDataException("line 20001 is broken") : Synthetic.Record(i, s_vectors[i % s_vectors.Length]);
            }
        }

        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => collection.UpsertAsync(Failing()));

        Assert.Equal("line 20001 is broken", e.Message);
        Assert.Equal(20_001, read);
    }

    [Fact]
    public async Task UpsertAsync_WhenCancelledDuringLazySequence_ThrowsAndStopsReadingIt()
    {
        (_, EncryptingVectorStoreCollection<string, Doc> collection) = Create();
        using var cancellation = new CancellationTokenSource();
        int read = 0;
        IEnumerable<Doc> Records()
        {
            for (int i = 0; i < 100_000; i++)
            {
                read++;
                if (i == 10_000)
                {
                    cancellation.Cancel();
                }

                yield return Synthetic.Record(i, s_vectors[i % s_vectors.Length]);
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collection.UpsertAsync(Records(), cancellation.Token));
        int readWhenReturned = read;

        // The background reader stopped at the first chunk boundary after the cancellation, before the call returned.
        Assert.InRange(readWhenReturned, 10_001, 10_000 + EncryptingVectorStoreCollection<string, Doc>.PipelineChunkRows);
        await Task.Delay(100);
        Assert.Equal(readWhenReturned, read);
    }

    [Fact]
    public void Constructor_WhenVectorHasNoCompanionAndNotOneWay_Throws()
    {
        var inner = new InMemoryCollection<string, NoCompanion>();

        ArgumentException error = Assert.Throws<ArgumentException>(() => new EncryptingVectorStoreCollection<string, NoCompanion>(inner, keys.Client, TestOptions.Create()));
        _ = new EncryptingVectorStoreCollection<string, NoCompanion>(inner, keys.Client, TestOptions.Create(oneWay: true));

        Assert.Contains("PairedIclInfo", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Constructor_WhenPropertiesAreProtectedByOptions_EncryptsThem()
    {
        var inner = new InMemoryCollection<string, NoCompanion>();
        EncryptingCollectionOptions options = TestOptions.Create();
        options.PairedIclInfoProperties[nameof(NoCompanion.Vector)] = nameof(NoCompanion.Info);
        options.DeterministicProperties.Add(nameof(NoCompanion.Label));
        var collection = new EncryptingVectorStoreCollection<string, NoCompanion>(inner, keys.Client, options);

        await collection.UpsertAsync(new NoCompanion { Id = "a", Label = "secret", Vector = s_vectors[0] });
        NoCompanion found = await collection.GetAsync(n => n.Label == "secret", 1).SingleAsync();

        Assert.NotEqual("secret", inner.Upserted[0].Label);
        Assert.Equal(54, inner.Upserted[0].Info!.Length);
        Assert.Equal("secret", found.Label);
    }

    [Fact]
    public void GetService_WhenAskedForAKeyHolder_ReturnsNullAndAnswersItselfAndForwardsTheRest()
    {
        (InMemoryCollection<string, Doc> inner, EncryptingVectorStoreCollection<string, Doc> collection) = Create();

        Assert.Null(collection.GetService(typeof(VeilClient)));
        Assert.Null(collection.GetService(typeof(IVeilOperations)));
        Assert.Null(collection.GetService(typeof(LocalVeilOperations)));
        Assert.Null(collection.GetService(typeof(IVeilVectorOperations)));
        Assert.Same(collection, collection.GetService(typeof(VectorStoreCollection<string, Doc>)));
        Assert.Same(inner, collection.GetService(typeof(InMemoryCollection<string, Doc>)));
        Assert.Null(collection.GetService(typeof(string)));
        Assert.Equal(inner.Name, collection.Name);
    }

    [Fact]
    public async Task EncryptingVectorStore_WhenGettingCollection_ReturnsEncryptingCollection()
    {
        var innerStore = new InMemoryStore();
        using var store = new EncryptingVectorStore(innerStore, keys.Client, TestOptions.Create());

        VectorStoreCollection<string, Doc> collection = store.GetCollection<string, Doc>("docs");
        await collection.UpsertAsync(Synthetic.Record(1, s_vectors[1]));

        Assert.IsType<EncryptingVectorStoreCollection<string, Doc>>(collection);
        Assert.NotEqual("Title 1", innerStore.Collection<string, Doc>("docs").Upserted[0].Title);
        Assert.Equal("Title 1", (await collection.GetAsync("doc-1"))!.Title);
        Assert.Equal(["docs"], await store.ListCollectionNamesAsync().ToListAsync());
        Assert.Null(store.GetService(typeof(VeilClient)));
        Assert.Null(store.GetService(typeof(IVeilOperations)));
        Assert.Same(innerStore, store.GetService(typeof(InMemoryStore)));
    }

    private (InMemoryCollection<string, Doc> Inner, EncryptingVectorStoreCollection<string, Doc> Collection) Create()
    {
        var inner = new InMemoryCollection<string, Doc>();
        return (inner, new EncryptingVectorStoreCollection<string, Doc>(inner, keys.Client, TestOptions.Create()));
    }

    public sealed class NoCompanion
    {
        [VectorStoreKey]
        public string Id { get; set; } = string.Empty;

        [VectorStoreData]
        public string? Label { get; set; }

        [VectorStoreData]
        public byte[]? Info { get; set; }

        [VectorStoreVector(Doc.Dimensions)]
        public float[]? Vector { get; set; }
    }
}
