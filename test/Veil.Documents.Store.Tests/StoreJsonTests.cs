using System.Text.Json;
using Veil.Sealed;

namespace Veil.Documents.Store.Tests;

/// <summary><see cref="StoreJson"/>: the lines the store commands write, compact, text as is, and what ingest reads back.</summary>
public sealed class StoreJsonTests
{
    [Fact]
    public void Document_WritesWhatIngestReads_AndAHitWithItsRankScoreAndDistance()
    {
        var document = new VeilDocument { Id = "é-1", Category = "café", Fields = """{"title":"naïve <b>"}""", Embedding = new float[] { 0.5f, -1f } };

        string line = StoreJson.Document(document, includeVector: true);
        string hit = StoreJson.Document(document, includeVector: false, rank: 2, score: 0.25, distance: VeilDocument.SealedScoreDistance);

        Assert.Equal("""{"id":"é-1","category":"café","title":"naïve <b>","vector":[0.5,-1]}""", line);
        VeilDocument read = DocumentJson.Parse(line, requireVector: true);
        Assert.Equal((document.Id, document.Category), (read.Id, read.Category));
        using JsonDocument fields = JsonDocument.Parse(read.Fields!);
        Assert.Equal("naïve <b>", fields.RootElement.GetProperty("title").GetString());
        Assert.Equal(document.Embedding.Value.ToArray(), read.Embedding!.Value.ToArray());
        Assert.Equal("""{"rank":2,"id":"é-1","score":0.25,"distance":"cosine_similarity","category":"café","title":"naïve <b>"}""", hit);
    }

    [Fact]
    public void Summaries_AreOneObjectEach()
    {
        Assert.Equal("""{"indexed":7,"failed":1}""", StoreJson.Rebuild(new SealedRebuildSummary(7, 1)));
        Assert.Equal("""{"requested":3,"deleted":2}""", StoreJson.Deletion(3, 2));
        Assert.StartsWith("{\"rotated\":0,", StoreJson.Rotation(new RotationSummary()), StringComparison.Ordinal);
    }
}
