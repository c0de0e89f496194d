using System.Text;

namespace Veil.Protocol.Tests;

/// <summary>
/// <see cref="ItemPipeline"/>, what <c>veil vector|field|document</c> run: the same JSON Lines output over text and
/// over byte streams, binary frames only over byte streams, and the most severe item failure as the result.
/// </summary>
public sealed class ItemPipelineTests
{
    private const string Input = "{\"id\":\"a\",\"vector\":[0.5,0.25]}\n{\"id\":\"b\",\"vector\":[1,\n{\"id\":\"c\",\"vector\":[0.125,1]}\n";

    [Fact]
    public void Run_OverTextAndOverByteStreams_WritesTheSameLines_AndReportsTheBadLine()
    {
        var text = new StringWriter();
        ItemErrorCode textWorst = ItemPipeline.Run(new StringReader(Input), text, PipelineFormat.Jsonl, ItemOperations.VectorEncrypt, TestClients.Seeded(), TestClients.Scope);

        var output = new MemoryStream();
        var writer = new StreamWriter(output, new UTF8Encoding(false));
        writer.Write("before ");
        using var reader = new StreamReader(new MemoryStream(Encoding.UTF8.GetBytes(Input)));
        ItemErrorCode streamWorst = ItemPipeline.Run(reader, writer, PipelineFormat.Jsonl, ItemOperations.VectorEncrypt, TestClients.Seeded(), TestClients.Scope);

        Assert.Equal(ItemErrorCode.InvalidInput, textWorst);
        Assert.Equal(textWorst, streamWorst);
        Assert.Equal(3, text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal("before " + text, Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public void Run_Binary_RoundTripsFramesOverByteStreams_AndRefusesText()
    {
        var frames = new MemoryStream();
        BinaryBatchFrames.WriteFrame(frames, [new ProtocolItem { Id = "a"u8.ToArray(), Vector = new float[] { 0.5f, 0.25f } }]);
        var output = new MemoryStream();
        using var reader = new StreamReader(new MemoryStream(frames.ToArray()));
        using var writer = new StreamWriter(output);

        ItemErrorCode worst = ItemPipeline.Run(reader, writer, PipelineFormat.Binary, ItemOperations.VectorEncrypt, TestClients.Seeded(), TestClients.Scope);

        Assert.Equal(ItemErrorCode.None, worst);
        ProtocolItem result = Assert.Single(BinaryBatchFrames.ReadFrame(new MemoryStream(output.ToArray()), ItemMembers.All)!);
        Assert.Equal("a"u8.ToArray(), result.Id!.Value.ToArray());
        Assert.Equal(2, result.EncryptedVector!.Value.Length);
        Assert.False(ItemPipeline.AreByteStreams(new StringReader(""), new StringWriter()));
        Assert.Throws<ArgumentException>(() => ItemPipeline.Run(new StringReader(""), new StringWriter(), PipelineFormat.Binary, ItemOperations.VectorEncrypt, TestClients.Seeded(), TestClients.Scope));
    }
}
