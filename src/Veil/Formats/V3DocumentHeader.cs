namespace Veil.Formats;

/// <summary>
/// <c>ironcorelabs.proto.v3DocumentHeader</c>, the header of legacy TSC V3 fields: 1 <c>sig</c> (bytes: IV(12) ‖ … ‖
/// GCM tag(16)), then a oneof of 2 <c>data_control</c> and 3 <c>saas_shield</c> (<c>SaaSShieldHeader { 1 tenant_id }</c>).
/// Read-only: Veil never writes V3.
/// </summary>
internal sealed class V3DocumentHeader
{
    private V3DocumentHeader(byte[] sig, byte[]? saasShieldHeader)
    {
        Sig = sig;
        SaasShieldHeader = saasShieldHeader;
    }

    /// <summary>The <c>sig</c> bytes (empty when absent).</summary>
    public byte[] Sig { get; }

    /// <summary>The serialized <c>SaaSShieldHeader</c> as it appeared on the wire, or null when the header is not a SaaS Shield one.</summary>
    public byte[]? SaasShieldHeader { get; }

    /// <summary>Parses the header; throws only <see cref="System.Security.Cryptography.CryptographicException"/>.</summary>
    public static V3DocumentHeader Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data, "V3 document header");
        byte[] sig = [];
        byte[]? saasShield = null;
        while (reader.TryReadTag(out int field, out ProtoWireType type))
        {
            switch (field)
            {
                case 1:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    sig = reader.ReadLengthDelimited().ToArray();
                    break;
                case 2:
                    // data_control replaces saas_shield in the oneof.
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    reader.ReadLengthDelimited();
                    saasShield = null;
                    break;
                case 3:
                    reader.Expect(type, ProtoWireType.LengthDelimited);
                    saasShield = reader.ReadLengthDelimited().ToArray();
                    break;
                default:
                    reader.Skip(type);
                    break;
            }
        }

        return new V3DocumentHeader(sig, saasShield);
    }
}
