using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Veil.Keys;

/// <summary>
/// The authentication of a keyset's content: a random 32-byte integrity key, wrapped by a KEK like the secrets (so
/// only the KMS can produce it), and an HMAC-SHA256 tag with it over the canonical content (format, default KEK URI,
/// every path's section, name, β and scaling choice, input limits when set, and every secret's id, state, creation
/// time, KEK URI and wrapped bytes, in file order). Whoever edits the file without the KEK cannot make a valid tag.
/// </summary>
/// <remarks>
/// A vector path's input limits (<c>dimensions</c>, <c>maxNorm</c>) enter the canonical content only when the path
/// has one, as an element of 17 bytes (<see cref="LimitsLabel"/>, flags, i32 dimension, f32 norm) right after β and
/// the scaling choice. Every element there was 4 bytes long before (the secret count), so the encoding stays
/// unambiguous, and keysets without limits keep the tag they always had. A key transform other than Alloy's
/// permutation enters the same way, as an element of 15 bytes (<see cref="TransformLabel"/>, u8 transform) after the
/// limits, so the transform of a path cannot be edited out of (or into) a signed file.
/// </remarks>
internal sealed class KeysetIntegrity(string kekUri, byte[] wrappedKey, byte[] tag)
{
    public const int KeyLength = 32;
    public const int TagLength = 32;

    /// <summary>Starts the canonical element of a vector path's input limits.</summary>
    private static ReadOnlySpan<byte> LimitsLabel => "limits/1"u8;

    private static ReadOnlySpan<byte> TransformLabel => "keyTransform/1"u8;

    /// <summary>The associated data the integrity key is wrapped with (it can never pass for a secret, nor a secret for it).</summary>
    private static readonly byte[] s_associatedData = Encoding.UTF8.GetBytes("veil-keyset integrity key");

    /// <summary>The URI of the KEK that wraps the integrity key.</summary>
    public string KekUri { get; } = kekUri;

    public byte[] WrappedKey { get; } = wrappedKey;

    /// <summary>The tag as last computed or read.</summary>
    public byte[] Tag { get; set; } = tag;

    /// <summary>Generates an integrity key, wraps it with <paramref name="kek"/>, and returns both (the caller keeps the cleartext).</summary>
    public static async Task<(KeysetIntegrity Integrity, byte[] Key)> CreateAsync(IKeyEncryptionKey kek, CancellationToken cancellationToken)
    {
        byte[] key = GC.AllocateArray<byte>(KeyLength, pinned: true);
        RandomNumberGenerator.Fill(key);
        try
        {
            byte[] wrapped = await kek.WrapKeyAsync(key, s_associatedData, cancellationToken).ConfigureAwait(false);
            return (new KeysetIntegrity(kek.KeyUri, wrapped, []), key);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(key);
            throw;
        }
    }

    /// <summary>Unwraps the integrity key with <paramref name="kek"/>.</summary>
    /// <exception cref="KeyNotAvailableException">It does not unwrap (altered, or another KEK); the inner exception is the KMS's.</exception>
    public async Task<byte[]> UnwrapKeyAsync(IKeyEncryptionKey kek, CancellationToken cancellationToken)
    {
        byte[] key;
        try
        {
            key = await kek.UnwrapKeyAsync(WrappedKey, s_associatedData, cancellationToken).ConfigureAwait(false);
        }
        catch (CryptographicException e)
        {
            throw new KeyNotAvailableException($"The keyset's integrity key could not be unwrapped with '{KekUri}': the keyset was altered, or it belongs to another key-encryption key.", e);
        }

        if (key.Length != KeyLength)
        {
            CryptographicOperations.ZeroMemory(key);
            throw new KeyNotAvailableException("The keyset's integrity key has the wrong length.", new CryptographicException("Integrity key length."));
        }

        byte[] pinned = GC.AllocateArray<byte>(KeyLength, pinned: true);
        key.CopyTo(pinned, 0);
        CryptographicOperations.ZeroMemory(key);
        return pinned;
    }

    /// <summary>The tag of the content under <paramref name="key"/>.</summary>
    public byte[] Compute(ReadOnlySpan<byte> key, string defaultKekUri, IEnumerable<KeysetPath> paths) =>
        HMACSHA256.HashData(key, Canonical(defaultKekUri, paths));

    /// <summary>Checks <see cref="Tag"/> against the content, in constant time.</summary>
    /// <exception cref="KeyNotAvailableException">It does not match.</exception>
    public void Verify(ReadOnlySpan<byte> key, string defaultKekUri, IEnumerable<KeysetPath> paths)
    {
        if (!CryptographicOperations.FixedTimeEquals(Compute(key, defaultKekUri, paths), Tag))
        {
            throw new KeyNotAvailableException(
                "The keyset was altered: its authentication tag does not match its content (a state, secret, path or parameter was edited, added, removed or reordered outside Veil). Restore the keyset from a trusted copy.",
                new CryptographicException("Keyset authentication tag mismatch."));
        }
    }

    private byte[] Canonical(string defaultKekUri, IEnumerable<KeysetPath> paths)
    {
        using var stream = new MemoryStream();
        byte[] number = new byte[5];
        void Bytes(ReadOnlySpan<byte> bytes)
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            stream.Write(length);
            stream.Write(bytes);
        }

        void Text(string value) => Bytes(Encoding.UTF8.GetBytes(value));

        void Number(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(number, value);
            Bytes(number.AsSpan(0, 4));
        }

        Text(Keyset.FormatName);
        Text(defaultKekUri);
        Text(KekUri);
        foreach (KeysetPath path in KeysetJson.InFileOrder(paths))
        {
            Text(KeysetNames.Of(path.Section));
            Text(path.Path.Value);
            BinaryPrimitives.WriteSingleBigEndian(number, path.ApproximationFactor ?? 0f);
            number[4] = path.UseScalingFactor ? (byte)1 : (byte)0;
            Bytes(number);
            if (path.Dimensions is not null || path.MaxNorm is not null)
            {
                var limits = new byte[LimitsLabel.Length + 1 + 4 + 4];
                LimitsLabel.CopyTo(limits);
                limits[LimitsLabel.Length] = (byte)((path.Dimensions is null ? 0 : 1) | (path.MaxNorm is null ? 0 : 2));
                BinaryPrimitives.WriteInt32BigEndian(limits.AsSpan(LimitsLabel.Length + 1), path.Dimensions ?? 0);
                BinaryPrimitives.WriteSingleBigEndian(limits.AsSpan(LimitsLabel.Length + 5), path.MaxNorm ?? 0f);
                Bytes(limits);
            }

            if (path.KeyTransform != VectorKeyTransform.AlloyPermutation)
            {
                var transform = new byte[TransformLabel.Length + 1];
                TransformLabel.CopyTo(transform);
                transform[^1] = (byte)path.KeyTransform;
                Bytes(transform);
            }

            Number((uint)path.Secrets.Count);
            foreach (KeysetSecret secret in path.Secrets)
            {
                Number(secret.Id.Value);
                Text(KeysetNames.Of(secret.State));
                Text(KeysetNames.Time(secret.CreatedAt));
                Text(secret.KekUri);
                Bytes(secret.Wrapped);
            }
        }

        return stream.ToArray();
    }
}
