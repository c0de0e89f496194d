using System.Buffers;
using System.Buffers.Binary;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>The binary batch form: exact round trips, and every malformed body a clean format error.</summary>
public sealed class BinaryBatchTests
{
    [Fact]
    public void Request_WrittenThenRead_IsTheSameRequest()
    {
        Gen.Select(Gen.String.Null(), Gen.String.Null(), ProtocolRoundTripTests.s_item.Where(i => i.Error is null).List[0, 6]).Sample((tenant, newTenant, items) =>
        {
            var request = new BatchRequest { Tenant = tenant, SecretPath = "p", DerivationPath = null, NewTenant = newTenant, Items = items };
            BatchRequest read = BinaryBatch.ReadRequest(Write(request), ItemMembers.All);
            Assert.Equal((tenant, "p", (string?)null, newTenant), (read.Tenant, read.SecretPath, read.DerivationPath, read.NewTenant));
            Assert.Equal(items.Count, read.Items!.Count);
            for (int i = 0; i < items.Count; i++)
            {
                ProtocolRoundTripTests.AssertSame(items[i], read.Items[i]);
            }
        });
    }

    [Fact]
    public void Response_WrittenThenRead_IsTheSameItems_AndEqualsTheJsonForm()
    {
        ProtocolRoundTripTests.s_item.List[0, 6].Sample(items =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            BinaryBatch.WriteResponse(buffer, items);
            IReadOnlyList<ProtocolItem> binary = BinaryBatch.ReadResponse(buffer.WrittenSpan, ItemMembers.All);
            IReadOnlyList<ProtocolItem> json = ProtocolJson.ReadResponse(ProtocolJson.ToUtf8(w => ProtocolJson.WriteResponse(w, items)), ItemMembers.All);
            for (int i = 0; i < items.Count; i++)
            {
                ProtocolRoundTripTests.AssertSame(items[i], binary[i]);
                ProtocolRoundTripTests.AssertSame(json[i], binary[i]);
            }
        });
    }

    [Fact]
    public void ReadRequest_KeepsOnlyTheOperationsMembers()
    {
        var request = new BatchRequest { Tenant = "t", Items = [new() { Vector = new float[] { 1 }, Value = [1], Fields = [new("a", [2])] }] };

        ProtocolItem item = BinaryBatch.ReadRequest(Write(request), ItemMembers.Vector).Items![0];

        Assert.NotNull(item.Vector);
        Assert.Null(item.Value);
        Assert.Null(item.Fields);
    }

    [Fact]
    public void ReadRequest_WhenTruncatedAnywhereOrMutated_ThrowsOnlyFormatErrors()
    {
        byte[] body = Write(new BatchRequest
        {
            Tenant = "acme",
            SecretPath = "p",
            DerivationPath = "d",
            Items = [new() { Id = "1"u8.ToArray(), Vector = new float[] { 0.5f, -2f }, PairedIclInfo = [1, 2], Fields = [new("f", [3])], Queries = [new(7, new float[] { 1f }, [4])] }, new() { Error = "x", ErrorCode = ItemErrorCode.Integrity }],
        });
        for (int length = 0; length < body.Length; length++)
        {
            Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(body.AsSpan(0, length), ItemMembers.All));
        }

        Gen.Select(Gen.Int[0, body.Length - 1].Array[1, 4], Gen.Byte.Array[4]).Sample((positions, values) =>
        {
            byte[] mutated = [.. body];
            for (int i = 0; i < positions.Length; i++)
            {
                mutated[positions[i]] = values[i];
            }

            try
            {
                _ = BinaryBatch.ReadRequest(mutated, ItemMembers.All);
            }
            catch (ItemFormatException)
            {
            }
        });
    }

    [Fact]
    public void ReadRequest_WhenCountsClaimMoreThanTheBody_RefusesBeforeAllocating()
    {
        byte[] items = [.. Header(), .. U32(uint.MaxValue)];
        byte[] vector = [.. Header(), .. U32(1), .. U16(2), .. U32(100_000_000)];
        byte[] bytes = [.. Header(), .. U32(1), .. U16(16), .. U32(int.MaxValue)];

        Assert.Contains("too short", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(items, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Contains("more than", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(vector, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Contains("too short", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(bytes, ItemMembers.All)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void ReadRequest_WhenAFloatIsNotFinite_RefusesTheRequest(float value)
    {
        byte[] body = [.. Header(), .. U32(1), .. U16(2), .. U32(2), .. F32(1f), .. F32(value)];

        ItemFormatException e = Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(body, ItemMembers.All));

        Assert.Equal("items[0]: \"vector\" element 1 is not a finite 32-bit floating-point number.", e.Message);
    }

    [Fact]
    public void ReadRequest_WhenFlagsAreUnknownOrStringsNotUtf8OrBytesTrail_Refuses()
    {
        byte[] flags = [.. Header(), .. U32(1), .. U16(0x8000)];
        byte[] utf8 = [.. "VBQ1"u8, .. U32(2), 0xC3, 0x28, .. U32(uint.MaxValue), .. U32(uint.MaxValue), .. U32(uint.MaxValue), .. U32(0)];
        byte[] trailing = [.. Header(), .. U32(0), 0];

        Assert.Contains("unknown member flags", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(flags, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(utf8, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Contains("after its last item", Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest(trailing, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Throws<ItemFormatException>(() => BinaryBatch.ReadRequest("{\"tenant\":\"t\"}"u8, ItemMembers.All));
    }

    [Theory]
    [InlineData("application/vnd.veil.batch", true)]
    [InlineData("Application/VND.Veil.Batch; q=1", true)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsContentType_IgnoresCaseAndParameters(string? contentType, bool expected) =>
        Assert.Equal(expected, BinaryBatch.IsContentType(contentType));

    private static byte[] Write(BatchRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        BinaryBatch.WriteRequest(buffer, request);
        return buffer.WrittenSpan.ToArray();
    }

    // "VBQ1" and four null strings.
    private static byte[] Header() => [.. "VBQ1"u8, .. U32(uint.MaxValue), .. U32(uint.MaxValue), .. U32(uint.MaxValue), .. U32(uint.MaxValue)];

    private static byte[] U32(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U16(ushort value)
    {
        byte[] bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] F32(float value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        return bytes;
    }
}
