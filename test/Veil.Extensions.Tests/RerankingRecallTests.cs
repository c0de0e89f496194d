using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.Tests.Support;
using Veil.Extensions.VectorData;
using Xunit.Abstractions;

namespace Veil.Extensions.Tests;

/// <summary>
/// Recall@10 of encrypted search against exact plaintext search, at β = 2.5 on seeded clustered 384-d unit vectors,
/// without and with exact re-ranking at several K′.
/// </summary>
public sealed class RerankingRecallTests(RotatingClients keys, ITestOutputHelper output) : IClassFixture<RotatingClients>
{
    private const int Top = 10;
    private const int Corpus = 3000;
    private const int Queries = 40;

    [Fact]
    public async Task SearchAsync_WhenRerankingEmbeddingLikeData_RestoresRecallAt10()
    {
        float[][] vectors = Synthetic.LowRank(Corpus + Queries, latentDimensions: 32, clusters: 20, spread: 0.5f, noise: 0.05f, seed: 2024);
        (double plain, Dictionary<int, double> reranked) = await MeasureAsync("low-rank clusters (32 latent dimensions)", vectors);

        Assert.True(plain < 0.9, $"the data should be hard enough for the encryption noise to matter (plain recall {plain:F3})");
        Assert.True(reranked[EncryptingCollectionOptions.DefaultRerankCandidates] >= 0.99, $"recall with the default K' was {reranked[EncryptingCollectionOptions.DefaultRerankCandidates]:F3}");
    }

    [Fact]
    public async Task SearchAsync_WhenRerankingIsotropicClusters_ImprovesRecallAt10()
    {
        // The hard case: full-rank Gaussian clusters of 300, whose members are nearly equidistant.
        float[][] vectors = Synthetic.Clustered(Corpus + Queries, clusters: 10, spread: 0.9f, seed: 2024);
        (double plain, Dictionary<int, double> reranked) = await MeasureAsync("isotropic clusters", vectors);

        Assert.True(reranked[EncryptingCollectionOptions.DefaultRerankCandidates] > plain + 0.3);
        Assert.True(reranked[200] > reranked[50]);
    }

    private async Task<(double Plain, Dictionary<int, double> Reranked)> MeasureAsync(string name, float[][] vectors)
    {
        float[][] corpus = vectors[..Corpus];
        float[][] queries = vectors[Corpus..];
        var inner = new InMemoryCollection<string, Doc>();
        var writer = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.CurrentOnlyClient, TestOptions.Create());
        await writer.UpsertAsync(corpus.Select((v, i) => Synthetic.Record(i, v)));
        string[][] truth = queries.Select(q => Enumerable.Range(0, Corpus)
            .OrderByDescending(i => TensorPrimitives.CosineSimilarity(corpus[i], q))
            .Take(Top)
            .Select(i => $"doc-{i}")
            .ToArray()).ToArray();

        double plain = await RecallAsync(inner, TestOptions.Create(rerank: false), queries, truth);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}, beta = 2.5, {Corpus} vectors, {Queries} queries: recall@10 without re-ranking: {plain:F3}"));
        var reranked = new Dictionary<int, double>();
        foreach (int candidates in new[] { 10, 20, 50, 100, 200 })
        {
            reranked[candidates] = await RecallAsync(inner, TestOptions.Create(candidates: candidates), queries, truth);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recall@10 with re-ranking, K' = {candidates}: {reranked[candidates]:F3}"));
        }

        return (plain, reranked);
    }

    private async Task<double> RecallAsync(InMemoryCollection<string, Doc> inner, EncryptingCollectionOptions options, float[][] queries, string[][] truth)
    {
        var collection = new EncryptingVectorStoreCollection<string, Doc>(inner, keys.CurrentOnlyClient, options);
        int hits = 0;
        for (int q = 0; q < queries.Length; q++)
        {
            var found = new HashSet<string>();
            await foreach (VectorSearchResult<Doc> result in collection.SearchAsync(queries[q], Top))
            {
                found.Add(result.Record.Id);
            }

            hits += truth[q].Count(found.Contains);
        }

        return hits / (double)(queries.Length * Top);
    }
}
