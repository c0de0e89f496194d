using System.Text;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>
/// The byte form of the JSON Lines loop (streams, no decoding) writes exactly the bytes the text form writes for the
/// same input: line ends (\n, \r\n, a lone \r), blank and white-space lines, a byte order mark, invalid UTF-8, chunk
/// boundaries, reads that stop anywhere and a line longer than the read buffer. (UTF-8 only: the text form would also
/// honour a UTF-16 byte order mark.)
/// </summary>
public sealed class JsonLinesStreamTests
{
    private static readonly Gen<byte[]> s_line = Gen.Frequency(
        (6, Gen.Select(Gen.Int[0, 999], Gen.Int.Select(BitConverter.Int32BitsToSingle).Where(float.IsFinite).Array[0, 6])
            .Select((id, vector) => Utf8($"{{\"id\":{id},\"vector\":[{string.Join(',', vector.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]}}"))),
        (1, Gen.OneOf(
            new[] { "", " ", "\t", "\u00a0", "\u2028 ", "{\"id\":\"é€😀\",\"vector\":[1, 2 ,3]}", "{\"id\":1,\"vector\":[1,2", "[1]", "{\"id\":1} x", "  {\"value\":\"AA==\"}" }
                .Select(t => Gen.Const(Utf8(t))).ToArray())),
        (1, Gen.Const(new byte[] { (byte)'{', (byte)'"', (byte)'i', (byte)'d', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}' })),
        (1, Gen.Const(new byte[] { (byte)' ', 0xFF, 0xFE, (byte)'{', (byte)'}' })));

    private static readonly Gen<byte[]> s_end = Gen.OneOf(Gen.Const(Utf8("\n")), Gen.Const(Utf8("\r\n")), Gen.Const(Utf8("\r")));

    [Fact]
    public void Run_WhenStreamsOfAnyLines_WritesWhatTheTextFormWrites()
    {
        Gen.Select(Gen.Bool, Gen.Select(s_line, s_end).Array[0, 20], Gen.Bool, Gen.Int[1, 5], Gen.Int[1, 9]).Sample(
            (bom, lines, finalEnd, chunkSize, trickle) =>
            {
                var input = new List<byte>();
                if (bom)
                {
                    input.AddRange(new byte[] { 0xEF, 0xBB, 0xBF });
                }

                for (int i = 0; i < lines.Length; i++)
                {
                    input.AddRange(lines[i].Item1);
                    if (i < lines.Length - 1 || finalEnd)
                    {
                        input.AddRange(lines[i].Item2);
                    }
                }

                byte[] bytes = [.. input];
                Assert.Equal(ViaText(bytes, chunkSize), ViaStream(new TrickleStream(bytes, trickle), chunkSize));
            },
            iter: 3_000);
    }

    [Fact]
    public void Run_WhenALineIsLongerThanTheReadBuffer_ReadsItWhole()
    {
        string vector = string.Join(',', Enumerable.Range(0, 300_000).Select(i => (i % 97).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        byte[] bytes = Utf8($"{{\"id\":1,\"vector\":[{vector}]}}\r\n{{\"id\":2,\"vector\":[1]}}\n");

        string output = ViaStream(new MemoryStream(bytes), 2048);

        Assert.Equal(ViaText(bytes, 2048), output);
        Assert.Equal(2, output.Count(c => c == '\n'));
    }

    private static string ViaText(byte[] input, int chunkSize)
    {
        using var reader = new StreamReader(new MemoryStream(input), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        var output = new MemoryStream();
        using (var writer = new StreamWriter(output, new UTF8Encoding(false)))
        {
            JsonLinesProcessor.Run(reader, writer, ItemMembers.All, items => items, chunkSize);
        }

        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string ViaStream(Stream input, int chunkSize)
    {
        var output = new MemoryStream();
        JsonLinesProcessor.Run(input, output, ItemMembers.All, items => items, chunkSize);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A stream whose reads return at most <c>step</c> bytes, so lines and line ends split across reads.</summary>
    private sealed class TrickleStream(byte[] data, int step) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, step));
    }
}
