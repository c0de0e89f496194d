using System.Text;
using System.Text.Json;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>
/// Vectors in request bodies are scanned straight from their bytes; these check that the scan accepts exactly what
/// the JSON reader accepts, gives the same floats and errors as reading token by token, and leaves the reader where
/// reading carries on correctly (the next item's raw <c>id</c> and members).
/// </summary>
public sealed class FloatArrayScanTests
{
    private static readonly Gen<string> s_space = Gen.OneOf(Gen.Const(""), Gen.Const(" "), Gen.Const("\n"), Gen.Const("\t "), Gen.Const("\r\n"));

    private static readonly Gen<string> s_element = Gen.Frequency(
        (6, Gen.Int.Select(BitConverter.Int32BitsToSingle).Where(float.IsFinite).Select(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (3, Gen.Double.Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Where(t => !t.Contains('N', StringComparison.Ordinal) && !t.Contains('∞', StringComparison.Ordinal))),
        (2, Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))),
        (2, Gen.OneOf(
            new[] { "0.12345678", "-0.012345678", "0.000000012345678", "12345678.12345678", "0.1234567890123456789", "0.12345678901234567890", "9007199254740993", "0.00000000000000000000001", "1.000000000000000000001", "1.5e022", "1e-022", "1e999", "0.1234567e-7", "0.0000000000000000000000000000000000000000000014", "-0.00000000", "0.100000000", "0.1234567a", "1.2345678.5" }
                .Select(Gen.Const).ToArray())),
        (2, Gen.OneOf(
            new[] { "0", "-0", "-0.0", "1e5", "1E+2", "2.5e-3", "0.30000000000000004", "123456789012345678901234567890", "1e39", "-1e39", "1e-50", "4.9406564584124654e-324" }
                .Select(Gen.Const).ToArray())),
        (1, Gen.OneOf(
            new[] { "01", "1.", ".5", "-", "+1", "1e", "1e+", "NaN", "true", "null", "\"1\"", "[1]", "{}", "", "1 2", "0x1", "1_0", "--1", "１" }
                .Select(Gen.Const).ToArray())));

    private static readonly Gen<string> s_array = Gen.Select(s_space, Gen.Select(s_element, s_space, s_space, (e, a, b) => a + e + b).Array[0, 12], s_space)
        .Select((open, elements, close) => elements.Length == 0 ? $"[{open}]" : $"[{open}{string.Join(',', elements)}{close}]");

    [Fact]
    public void ReadRequest_WhenVectorIsAnyArrayText_ReadsWhatTheTokenReaderReadsAndCarriesOnAfterIt()
    {
        s_array.Sample(
            array =>
            {
                string body = $$"""{"tenant":"t","items":[{"id":1,"vector":{{array}},"pairedIclInfo":"AAE="},{"id":[2, {"x":[3]}],"vector":[0.5]}],"secretPath":"p"}""";
                (float[]? expected, string? error) = TokenByToken(array);
                if (expected is null)
                {
                    ItemFormatException e = Assert.Throws<ItemFormatException>(() => ProtocolJson.ReadRequest(Encoding.UTF8.GetBytes(body), ItemMembers.Vector | ItemMembers.PairedIclInfo));
                    Assert.StartsWith(error!, e.Message.Replace("items[0]: ", "", StringComparison.Ordinal), StringComparison.Ordinal);
                    return;
                }

                BatchRequest request = ProtocolJson.ReadRequest(Encoding.UTF8.GetBytes(body), ItemMembers.Vector | ItemMembers.PairedIclInfo);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), request.Items![0].Vector!.Value.ToArray().Select(BitConverter.SingleToInt32Bits));
                Assert.Equal([0, 1], request.Items[0].PairedIclInfo);
                Assert.Equal("[2, {\"x\":[3]}]", Encoding.UTF8.GetString(request.Items[1].Id!.Value.Span));
                Assert.Equal([0.5f], request.Items[1].Vector!.Value.ToArray());
                Assert.Equal("p", request.SecretPath);
                ProtocolItem line = ProtocolJson.ParseLine(Encoding.UTF8.GetBytes($$"""{"vector":{{array}},"id":"x"}"""), ItemMembers.Vector);
                Assert.Null(line.Error);
                Assert.Equal("\"x\"", Encoding.UTF8.GetString(line.Id!.Value.Span));
            },
            iter: 20_000);
    }

    /// <summary>The public token-by-token reader's result, or the start of its error ("Malformed JSON" for bad JSON).</summary>
    private static (float[]? Values, string? Error) TokenByToken(string array)
    {
        byte[] json = Encoding.UTF8.GetBytes($$"""{"v":{{array}}}""");
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            reader.Read();
            float[] values = JsonValues.ReadFloatArray(ref reader, "vector");
            reader.Read();
            return reader.Read() ? (null, "Malformed JSON") : (values, null);
        }
        catch (JsonException)
        {
            return (null, "Malformed JSON");
        }
        catch (ItemFormatException e)
        {
            return (null, e.Message);
        }
    }
}
