using System.Security.Cryptography;

namespace Veil.Sealed;

/// <summary>
/// Seals many boxes of one kind for one collection under the keyring's primary key (<see cref="SealedBox"/> format):
/// one AES-GCM key schedule and one associated-data buffer for all of them, where a box sealed on its own sets both up
/// again. Not thread-safe: one per thread.
/// </summary>
internal sealed class SealedBoxSealer : IDisposable
{
    private readonly AesGcm _aes;
    private readonly byte[] _header = new byte[SealedBox.HeaderLength];
    private readonly int _prefixLength;
    private byte[] _aad;

    public SealedBoxSealer(SealedKeyring keys, SealedKind kind, string collection)
    {
        uint id = keys.PrimaryId.Value;
        _aes = keys.Create(id, SealedBox.PurposeOf(kind))!;
        SealedBox.WriteHeader(kind, id, _header);
        _prefixLength = SealedBox.AssociatedDataPrefixLength(collection);
        _aad = new byte[_prefixLength + 4 + 64];
        SealedBox.WriteAssociatedDataPrefix(_header, collection, _aad);
    }

    /// <summary>Seals <paramref name="plaintext"/> bound to <paramref name="context"/> into <paramref name="box"/> (<see cref="SealedBox.Overhead"/> bytes longer than the plaintext).</summary>
    public void Seal(ReadOnlySpan<byte> context, ReadOnlySpan<byte> plaintext, Span<byte> box)
    {
        if (box.Length != SealedBox.Overhead + plaintext.Length)
        {
            throw new ArgumentException("The box must be the plaintext's length plus the sealed overhead.", nameof(box));
        }

        int aadLength = _prefixLength + 4 + context.Length;
        if (aadLength > _aad.Length)
        {
            byte[] larger = new byte[aadLength];
            _aad.AsSpan(0, _prefixLength).CopyTo(larger);
            _aad = larger;
        }

        SealedBox.WriteContext(context, _aad.AsSpan(_prefixLength));
        _header.CopyTo(box);
        Span<byte> nonce = box.Slice(SealedBox.HeaderLength, SealedBox.NonceLength);
        RandomNumberGenerator.Fill(nonce);
        int start = SealedBox.HeaderLength + SealedBox.NonceLength;
        _aes.Encrypt(nonce, plaintext, box.Slice(start, plaintext.Length), box[^SealedBox.TagLength..], _aad.AsSpan(0, aadLength));
    }

    public void Dispose() => _aes.Dispose();
}
