using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Veil.Extensions.VectorData;
using Veil.Samples.WebApp;
using Veil.Service;
using Veil.Stores.DuckDb;

// Veil in an ASP.NET Core app: AddVeil (local keys from a keyset), an encrypted collection from DI over a DuckDB
// store, and the key service mounted under /keys in the same app. First run creates the keys (SampleSetup).
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
SampleSetup.EnsureFiles(builder.Configuration);
string tenant = builder.Configuration["Sample:Tenant"] ?? "sample";

// IVeilOperations from the "Veil" section (a keyset and its KMS, or the key service's URL and API key).
builder.Services.AddVeil(builder.Configuration.GetSection("Veil"));

// The embedding model (a stand-in here) and the store; the collection encrypts before the store sees anything.
builder.Services.AddEmbeddingGenerator(new HashingEmbeddingGenerator());
builder.Services.AddSingleton<VectorStore>(_ => new DuckDbVectorStore(builder.Configuration["Sample:DatabasePath"]!));
builder.Services.AddEncryptedVectorStoreCollection<string, SampleDocument>("documents", services =>
    new EncryptingCollectionOptions(new(SampleSetup.VectorPath), new("hashing-64"), new(tenant))
    {
        EmbeddingGenerator = services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
    });

// The key service, for other apps that must not hold keys: same keyset, its own clients file and audit log.
builder.Services.AddVeilKeyService(builder.Configuration.GetSection(VeilKeyServiceOptions.SectionName));

WebApplication app = builder.Build();
await app.Services.GetRequiredService<VectorStoreCollection<string, SampleDocument>>().EnsureCollectionExistsAsync();

app.MapPost("/documents", async (NewDocument document, VectorStoreCollection<string, SampleDocument> documents, IEmbeddingGenerator<string, Embedding<float>> embeddings, CancellationToken cancellationToken) =>
{
    if (string.IsNullOrWhiteSpace(document.Id) || string.IsNullOrWhiteSpace(document.Text))
    {
        return Results.BadRequest(new { error = "\"id\" and \"text\" are required" });
    }

    Embedding<float> embedding = await embeddings.GenerateAsync(document.Text, cancellationToken: cancellationToken);
    await documents.UpsertAsync(new SampleDocument { Id = document.Id, Text = document.Text, Embedding = embedding.Vector }, cancellationToken);
    return Results.Ok(new { id = document.Id });
});

app.MapGet("/search", async (string q, int? top, VectorStoreCollection<string, SampleDocument> documents, CancellationToken cancellationToken) =>
{
    var results = new List<object>();
    await foreach (VectorSearchResult<SampleDocument> result in documents.SearchAsync(q, Math.Clamp(top ?? 3, 1, 20), cancellationToken: cancellationToken))
    {
        results.Add(new { id = result.Record.Id, text = result.Record.Text, score = result.Score });
    }

    return Results.Ok(results);
});

app.MapVeilKeyService("/keys");
await app.RunAsync();

/// <summary>The body of <c>POST /documents</c>.</summary>
internal sealed record NewDocument(string? Id, string? Text);
