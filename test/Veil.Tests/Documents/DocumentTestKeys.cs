using System.Text;
using Veil.Documents;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Tests.Documents;

/// <summary>Secrets and operation objects shared by the document tests.</summary>
internal static class DocumentTestKeys
{
    /// <summary>The ASCII bytes Alloy's seeded standard KAT uses as secret 10 (not base64-decoded).</summary>
    public static readonly byte[] AlloyKatSecretBytes = Encoding.ASCII.GetBytes("hJdwvEeg5mxTu9qWcWrljfKs1ga4MpQ9MzXgLxtlkwX//yA=");

    /// <summary>A deterministic 48-byte test secret derived from <paramref name="label"/>.</summary>
    public static Secret SecretFor(uint label)
    {
        byte[] bytes = new byte[48];
        new Random(unchecked((int)(label * 7919u + 17u))).NextBytes(bytes);
        return new Secret(bytes);
    }

    /// <summary>Secrets with the given ids (bytes from <see cref="SecretFor"/>), primary = <paramref name="primary"/>.</summary>
    public static StandardSecrets Secrets(uint? primary, params uint[] ids) =>
        new(primary is { } p ? new KeyId(p) : null, ids.Select(id => new IdentifiedSecret(new KeyId(id), SecretFor(id))));

    public static StandardDocumentOperations Standard(uint? primary, params uint[] ids) =>
        new(Secrets(primary, ids), SystemRandomSource.Instance);

    public static AttachedDocumentOperations Attached(uint? primary, params uint[] ids) =>
        new(Secrets(primary, ids), SystemRandomSource.Instance);

    /// <summary>The first <paramref name="count"/> bytes of the seed-1 test stream.</summary>
    public static byte[] SeedOneStream(int count)
    {
        byte[] bytes = new byte[count];
        new SeededRandomSource(1).Fill(bytes);
        return bytes;
    }

    public static Dictionary<string, byte[]> Fields(params (string Name, string Value)[] fields) =>
        fields.ToDictionary(f => f.Name, f => Encoding.UTF8.GetBytes(f.Value), StringComparer.Ordinal);
}

/// <summary>A random source that replays fixed bytes (for building known inputs).</summary>
internal sealed class FixedRandomSource : IRandomSource
{
    private readonly byte[] _bytes;
    private int _position;

    public FixedRandomSource(byte[] bytes) => _bytes = bytes;

    public bool IsDeterministic => true;

    public void Fill(Span<byte> destination)
    {
        _bytes.AsSpan(_position, destination.Length).CopyTo(destination);
        _position += destination.Length;
    }
}
