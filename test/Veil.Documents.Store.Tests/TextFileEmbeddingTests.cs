using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Veil.Documents.Store.Tests.Support;
using Veil.Testing;

namespace Veil.Documents.Store.Tests;

/// <summary>
/// <see cref="TextFileEmbedding"/>: one raw float32 row per line (gzip input too), and a run after an interruption
/// carries on after the rows already written, but never appends to another model's (or another input's) vectors.
/// </summary>
public sealed class TextFileEmbeddingTests : IDisposable
{
    private static readonly string[] s_texts = [.. Enumerable.Range(0, 10).Select(i => $"package number {i} does thing {i % 3}")];

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Embed_FromGzipJsonLines_WritesOneRowPerLineInOrder()
    {
        string input = WriteInput(gzip: true);
        var generator = new BagOfWordsGenerator();
        var reported = new List<StoreProgress>();

        TextFileEmbeddingResult result = TextFileEmbedding.Embed(input, _directory.File("v.bin"), new TextEmbedding("text", generator) { BatchSize = 4 }, new SyncProgress(reported.Add));

        Assert.Equal(new TextFileEmbeddingResult(10, 0, 10, BagOfWordsGenerator.Dimensions), result);
        Assert.Equal([4, 4, 2], generator.Batches);
        Assert.Equal(Expected(), File.ReadAllBytes(_directory.File("v.bin")));
        Assert.Equal([0L, 4, 8, 10], reported.Select(p => p.Done));
        Assert.All(reported, p => Assert.Equal(10, p.Total));
    }

    [Fact]
    public void Embed_AfterAnInterruptionMidRow_KeepsTheWholeRowsAndCarriesOn()
    {
        string input = WriteInput(gzip: false);
        string output = _directory.File("v.bin");
        byte[] full = Expected();
        int row = 4 * BagOfWordsGenerator.Dimensions;
        File.WriteAllBytes(output, full[..((3 * row) + 7)]);
        var generator = new BagOfWordsGenerator();

        TextFileEmbeddingResult result = TextFileEmbedding.Embed(input, output, new TextEmbedding("text", generator) { BatchSize = 4 });

        Assert.Equal(new TextFileEmbeddingResult(10, 3, 7, BagOfWordsGenerator.Dimensions), result);
        Assert.Equal(full, File.ReadAllBytes(output));
        Assert.Equal([1, 4, 3], generator.Batches); // the first line again (the check), then only the 7 missing rows
    }

    [Fact]
    public void Embed_WhenTheOutputHoldsOtherVectors_RefusesAndLeavesItAlone()
    {
        string input = WriteInput(gzip: false);
        string output = _directory.File("v.bin");
        byte[] other = new byte[4 * BagOfWordsGenerator.Dimensions * 2];
        BinaryPrimitives.WriteSingleLittleEndian(other, 1f);
        File.WriteAllBytes(output, other);

        var e = Assert.Throws<DocumentStoreException>(() => TextFileEmbedding.Embed(input, output, new TextEmbedding("text", new BagOfWordsGenerator())));

        Assert.Contains("already holds vectors, but not this model's embedding of the first line", e.Message, StringComparison.Ordinal);
        Assert.Equal(other, File.ReadAllBytes(output));
    }

    [Fact]
    public void Embed_WhenALineHasNoTextField_NamesTheLineNotTheText()
    {
        string input = _directory.File("bad.jsonl");
        File.WriteAllText(input, "{\"id\":1,\"text\":\"secret words\"}\n{\"id\":2,\"title\":\"secret words\"}\n");

        var e = Assert.Throws<DocumentInputException>(() => TextFileEmbedding.Embed(input, _directory.File("v.bin"), new TextEmbedding("text", new BagOfWordsGenerator())));

        Assert.Equal(2, e.Line);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    private string WriteInput(bool gzip)
    {
        string lines = string.Concat(s_texts.Select((t, i) => $"{{\"id\":{i},\"section\":\"s{i % 2}\",\"text\":\"{t}\"}}\n"));
        string path = _directory.File(gzip ? "in.jsonl.gz" : "in.jsonl");
        using FileStream file = File.Create(path);
        using Stream stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        stream.Write(Encoding.UTF8.GetBytes(lines));
        return path;
    }

    private static byte[] Expected()
    {
        var generator = new BagOfWordsGenerator();
        var bytes = new List<byte>();
        foreach (var embedding in generator.GenerateAsync(s_texts).GetAwaiter().GetResult())
        {
            foreach (float value in embedding.Vector.Span)
            {
                byte[] b = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(b, value);
                bytes.AddRange(b);
            }
        }

        return [.. bytes];
    }

    private sealed class SyncProgress(Action<StoreProgress> report) : IProgress<StoreProgress>
    {
        public void Report(StoreProgress value) => report(value);
    }
}
