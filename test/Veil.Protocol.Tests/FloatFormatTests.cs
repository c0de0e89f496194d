using System.Buffers;
using System.Text;
using System.Text.Json;
namespace Veil.Protocol.Tests;

/// <summary>Floats are read as double then cast to float, and written in the shortest form that round-trips.</summary>
public sealed class FloatFormatTests
{
    [Theory]
    [InlineData(1415.0125f, "1415.0125")]
    [InlineData(13681085f, "13681085")]
    [InlineData((float)0.1299239844083786, "0.12992398")]
    [InlineData((float)-0.3532053828239441, "-0.35320538")]
    [InlineData(1e-7f, "1E-07")]
    [InlineData(-0f, "-0")]
    [InlineData(0.1f, "0.1")]
    [InlineData(float.MaxValue, "3.4028235E+38")]
    [InlineData(float.Epsilon, "1E-45")]
    public void WriteFloatArray_WhenValue_WritesShortestRoundTrip(float value, string expected)
    {
        Assert.Equal($"[{expected}]", Write([value]));
        Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(Read(Write([value]))[0]));
    }

    [Fact]
    public void WriteFloatArray_WhenRandomBitPatterns_RoundTripsEveryFiniteFloat()
    {
        var random = new Random(1234);
        var values = new List<float>();
        while (values.Count < 20_000)
        {
            float f = BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue));
            if (float.IsFinite(f))
            {
                values.Add(f);
            }
        }

        float[] read = Read(Write(values.ToArray()));

        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), read.Select(BitConverter.SingleToInt32Bits));
    }

    [Theory]
    [InlineData("0.1299239844083786", 0.1299239844083786)]
    [InlineData("1e-7", 1e-7)]
    [InlineData("13681085.0", 13681085.0)]
    [InlineData("-0.0", -0.0)]
    [InlineData("0.30000000000000004", 0.30000000000000004)]
    public void ReadFloatArray_WhenNumber_ParsesAsDoubleThenCastsToFloat(string text, double expected)
    {
        Assert.Equal(BitConverter.SingleToInt32Bits((float)expected), BitConverter.SingleToInt32Bits(Read($"[{text}]")[0]));
    }

    private static string Write(float[] values)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            JsonValues.WriteFloatArray(writer, "v"u8, values);
            writer.WriteEndObject();
        }

        string json = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return json["{\"v\":".Length..^1];
    }

    private static float[] Read(string array)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes($"{{\"v\":{array}}}"));
        reader.Read();
        reader.Read();
        return JsonValues.ReadFloatArray(ref reader, "v");
    }
}
