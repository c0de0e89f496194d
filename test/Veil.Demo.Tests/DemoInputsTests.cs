using Microsoft.Extensions.AI;
using Veil.Keys;

namespace Veil.Demo.Tests;

/// <summary>What <c>veil demo</c> hands <see cref="DemoRunner"/>: its text query (<see cref="DemoTextQuery.EmbedAsync"/>) and keys that dispose their secrets.</summary>
public sealed class DemoInputsTests
{
    [Fact]
    public async Task EmbedAsync_WithoutText_EmbedsTheDefaultQueryAndNamesTheModel()
    {
        using var generator = new FixedGenerator("fixed-model");

        DemoTextQuery defaulted = await DemoTextQuery.EmbedAsync(null, generator);
        DemoTextQuery given = await DemoTextQuery.EmbedAsync("deploy", generator);

        Assert.Equal((DemoTextQuery.DefaultText, "fixed-model"), (defaulted.Text, defaulted.Model));
        Assert.Equal([DemoTextQuery.DefaultText.Length, 1f], defaulted.Embedding);
        Assert.Equal("deploy", given.Text);
        Assert.Equal([6f, 1f], given.Embedding);
        Assert.Equal([DemoTextQuery.DefaultText, "deploy"], generator.Texts);
    }

    [Fact]
    public void Dispose_DisposesTheSecretsOfTheConfiguration()
    {
        DemoKeys keys = DemoKeys.Fresh(2.5f);
        (DerivationPath path, TenantId tenant) = (new DerivationPath("d"), new TenantId("t"));
        using (var before = new VeilClient(keys.Configuration))
        {
            Assert.NotNull(before.Vector.GetEncryptor(keys.SecretPath, path, tenant));
        }

        keys.Dispose();

        using var after = new VeilClient(keys.Configuration);
        Assert.Throws<ObjectDisposedException>(() => after.Vector.GetEncryptor(keys.SecretPath, path, tenant));
    }

    /// <summary>Embeds a text as [its length, 1] and reports <c>model</c> as its model id.</summary>
    private sealed class FixedGenerator(string model) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public List<string> Texts { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (string text in values)
            {
                Texts.Add(text);
                result.Add(new Embedding<float>(new float[] { text.Length, 1f }));
            }

            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("fixed", null, model) : null;

        public void Dispose()
        {
        }
    }
}
