using System.Text;
using CsCheck;

namespace Veil.Protocol.Tests;

/// <summary>Attacker-controlled bodies and lines: every malformed input is a clean request or item error, never a crash.</summary>
public sealed class MalformedInputTests
{
    private static readonly byte[] s_validRequest = Encoding.UTF8.GetBytes(
        """{"tenant":"acme","secretPath":"p","derivationPath":"d","newTenant":"b","items":[{"id":[1,{"a":"x"}],"vector":[0.5,-1e-7,3],"encryptedVector":[1,2],"pairedIclInfo":"AAEC","value":"c2VjcmV0","encryptedValue":"AA==","edek":"AQ==","fields":{"f":"Zg==","g":""}},{"id":2}]}""");

    [Theory]
    [InlineData("", "Malformed JSON")]
    [InlineData("null", "must be a JSON object")]
    [InlineData("[1,2,3]", "must be a JSON object")]
    [InlineData("{\"tenant\":5}", "\"tenant\" must be a string")]
    [InlineData("{\"items\":{}}", "\"items\" must be an array")]
    [InlineData("{\"items\":[null]}", "items[0] must be an object")]
    [InlineData("{\"items\":[{\"vector\":\"abc\"}]}", "items[0]: \"vector\" must be an array")]
    [InlineData("{\"items\":[{\"vector\":[1,\"secretword\"]}]}", "element 1 is not a number")]
    [InlineData("{\"items\":[{\"vector\":[1,1e39]}]}", "element 1 is not a finite")]
    [InlineData("{\"items\":[{\"fields\":{\"a\":\"AA==\",\"a\":\"AA==\"}}]}", "more than once")]
    [InlineData("{\"items\":[{\"value\":\"secretword!\"}]}", "\"value\" is not valid base64")]
    [InlineData("{\"items\":[{\"vector\":[1,secretword]}]}", "Malformed JSON")]
    [InlineData("{\"items\":[]} trailing", "Malformed JSON")]
    public void ReadRequest_WhenMalformed_ThrowsAFormatErrorThatNamesThePlaceNotTheValue(string body, string expected)
    {
        ItemFormatException e = Assert.Throws<ItemFormatException>(() => ProtocolJson.ReadRequest(Encoding.UTF8.GetBytes(body), ItemMembers.All));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secretword", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRequest_WhenTruncatedAnywhere_ThrowsOnlyFormatErrors()
    {
        for (int length = 0; length < s_validRequest.Length; length++)
        {
            Assert.Throws<ItemFormatException>(() => ProtocolJson.ReadRequest(s_validRequest.AsSpan(0, length), ItemMembers.All));
            ProtocolItem line = ProtocolJson.ParseLine(s_validRequest.AsSpan(0, length), ItemMembers.All);
            Assert.Equal(ItemErrorCode.InvalidInput, line.ErrorCode);
        }

        Assert.Equal(2, ProtocolJson.ReadRequest(s_validRequest, ItemMembers.All).Items!.Count);
    }

    [Fact]
    public void ReadRequestAndParseLine_WhenBytesAreMutated_NeverThrowAnythingButFormatErrors()
    {
        Gen.Select(Gen.Int[0, s_validRequest.Length - 1].Array[1, 4], Gen.Byte.Array[4]).Sample((positions, values) =>
        {
            byte[] body = [.. s_validRequest];
            for (int i = 0; i < positions.Length; i++)
            {
                body[positions[i]] = values[i];
            }

            try
            {
                _ = ProtocolJson.ReadRequest(body, ItemMembers.All);
            }
            catch (ItemFormatException)
            {
            }

            ProtocolItem line = ProtocolJson.ParseLine(body, ItemMembers.All);
            Assert.True(line.Error is null || line.ErrorCode == ItemErrorCode.InvalidInput);
            _ = ProtocolJson.ToUtf8(writer => ProtocolJson.WriteItem(writer, line));
        });
    }

    [Fact]
    public void ReadRequest_WhenAStringOrFieldNameIsNotUtf8_ThrowsAFormatErrorNotAnInvalidOperation()
    {
        // Found by the mutation property: the reader checks JSON structure, and GetString threw InvalidOperationException.
        byte[] tenant = [.. "{\"tenant\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        byte[] fieldName = [.. "{\"items\":[{\"fields\":{\""u8, 0xFF, .. "\":\"AA==\"}}]}"u8];

        Assert.Contains("not valid UTF-8", Assert.Throws<ItemFormatException>(() => ProtocolJson.ReadRequest(tenant, ItemMembers.All)).Message, StringComparison.Ordinal);
        Assert.Contains("not valid UTF-8", Assert.Throws<ItemFormatException>(() => ProtocolJson.ReadRequest(fieldName, ItemMembers.All)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseLine_WhenTheVectorIsLongerThanTheLimit_RefusesItWithoutHoldingIt()
    {
        string line = "{\"id\":7,\"vector\":[" + string.Join(',', Enumerable.Repeat("0", JsonValues.MaxVectorLength + 1)) + "]}";

        ProtocolItem item = ProtocolJson.ParseLine(Encoding.UTF8.GetBytes(line), ItemMembers.Vector);

        Assert.Equal(ItemErrorCode.InvalidInput, item.ErrorCode);
        Assert.Contains($"more than {JsonValues.MaxVectorLength} elements", item.Error, StringComparison.Ordinal);
        Assert.Equal("7"u8.ToArray(), item.Id!.Value.ToArray());
        Assert.Null(item.Vector);
    }

    [Fact]
    public void ParseLine_WhenNestedBeyondTheDepthLimit_IsMalformed()
    {
        string line = "{\"id\":" + new string('[', 100) + new string(']', 100) + ",\"vector\":[1]}";

        ProtocolItem item = ProtocolJson.ParseLine(Encoding.UTF8.GetBytes(line), ItemMembers.Vector);

        Assert.StartsWith("Malformed JSON", item.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_WhenAVectorHasAnotherDimension_FailsThatItemAloneBeforeKeyWork()
    {
        using VeilClient client = TestClients.Seeded();
        ProtocolItem[] items = [new() { Id = "1"u8.ToArray(), Vector = new float[] { 1, 2, 3 } }, new() { Id = "2"u8.ToArray(), Vector = new float[1_000] }];

        IReadOnlyList<ProtocolItem> results = ItemOperations.VectorEncrypt.Process(client, items, TestClients.Scope with { Dimension = 3 });

        Assert.NotNull(results[0].EncryptedVector);
        Assert.Equal("The vector has 1000 coordinates; this secret path holds 3-dimensional vectors.", results[1].Error);
        Assert.Equal("2"u8.ToArray(), results[1].Id!.Value.ToArray());
    }

    [Fact]
    public void ReadResponse_WhenAnItemLacksAMember_ReadOutputRefusesIt()
    {
        IReadOnlyList<ProtocolItem> items = ProtocolJson.ReadResponse("{\"items\":[{\"pairedIclInfo\":\"AA==\"}]}"u8, ItemOperations.VectorEncrypt.ResultMembers);

        ItemFormatException e = Assert.Throws<ItemFormatException>(() => ItemOperations.VectorEncrypt.ReadOutput(items[0], TestClients.Scope));
        Assert.Contains("encryptedVector", e.Message, StringComparison.Ordinal);
    }
}
