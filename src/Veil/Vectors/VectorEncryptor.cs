using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Veil.Formats;
using Veil.Keys;
using Veil.Randomness;

namespace Veil.Vectors;

/// <summary>
/// Scale-And-Perturb encryption under one derived key (one secret, tenant and derivation path): the fast,
/// allocation-free span API. Get one from <see cref="VectorOperations.GetEncryptor(SecretPath, DerivationPath, TenantId)"/>.
/// </summary>
/// <remarks>
/// <para><b>Warning: not IND-CPA; reveals approximate distances.</b> Ciphertexts preserve distance comparisons up to
/// the approximation factor β, which is what makes them searchable; anyone holding ciphertexts learns approximate
/// distances between them. See the README's security notes and the threat model for what else leaks.</para>
/// <para><b>Thread safety.</b> All members are thread-safe.</para>
/// <para><b>Determinism.</b> Each encryption draws a fresh 12-byte IV, so encrypting the same vector twice gives
/// different ciphertexts.</para>
/// <para><b>Lifetime.</b> An encryptor stays valid while you hold it, even after its <see cref="VectorOperations"/>
/// evicts it from the key cache; its key is zeroed once it is no longer referenced, or when the
/// <see cref="VectorOperations"/> (or its <see cref="VeilClient"/>) is disposed, after which every encryption and decryption throws
/// <see cref="ObjectDisposedException"/>. See <see cref="VectorOperations.GetEncryptor(SecretPath, DerivationPath, TenantId)"/>.</para>
/// </remarks>
public sealed class VectorEncryptor
{
    /// <summary>The length of the paired ICL info that <see cref="Encrypt(ReadOnlySpan{float}, Span{float}, Span{byte})"/> writes.</summary>
    public const int PairedIclInfoLength = VectorMetadata.Length;

    // Vectors up to this many dimensions keep the rotation's buffers on the stack.
    private const int StackDimensions = 1024;

    private readonly VectorEncryptionKey _key;
    private readonly VectorParameters _parameters;
    private readonly IRandomSource _random;
    private readonly VectorInputLimits _limits;

    internal VectorEncryptor(VectorEncryptionKey key, VectorParameters parameters, KeyId keyId, SecretPath secretPath, DerivationPath derivationPath, IRandomSource random, VectorInputLimits limits = default)
    {
        _key = key;
        _parameters = parameters;
        _random = random;
        _limits = limits;
        KeyId = keyId;
        SecretPath = secretPath;
        DerivationPath = derivationPath;
    }

    /// <summary>The id of the secret this encryptor's key derives from.</summary>
    public KeyId KeyId { get; }

    /// <summary>The secret path.</summary>
    public SecretPath SecretPath { get; }

    /// <summary>The derivation path.</summary>
    public DerivationPath DerivationPath { get; }

    /// <summary>β.</summary>
    public float ApproximationFactor => _parameters.ApproximationFactor;

    /// <summary>Whether the derived scaling factor is applied.</summary>
    public bool UsesScalingFactor => _parameters.UseScalingFactor;

    /// <summary>The key transform (<see cref="VectorSecret.KeyTransform"/>).</summary>
    public VectorKeyTransform KeyTransform => _key.Transform;

    /// <summary>The path's dimension (<see cref="VectorSecret.Dimensions"/>), or null when any is accepted.</summary>
    public int? Dimensions => _limits.Dimensions;

    /// <summary>The path's largest plaintext norm (<see cref="VectorSecret.MaxNorm"/>), or null when unchecked.</summary>
    public float? MaxNorm => _limits.MaxNorm;

    internal VectorEncryptionKey Key => _key;

    /// <summary>Encrypts <paramref name="plaintext"/>; writes the ciphertext and the 54-byte paired ICL info.</summary>
    /// <exception cref="ArgumentException">A destination is too short, the plaintext holds NaN or infinity or is
    /// too large for β (the ciphertext would not be finite), or it breaks the path's dimension or norm limit.</exception>
    public void Encrypt(ReadOnlySpan<float> plaintext, Span<float> ciphertext, Span<byte> pairedIclInfo)
    {
        ThrowIfDisposed();
        _limits.Check(plaintext, nameof(plaintext));
        CheckDestination(plaintext.Length, ciphertext.Length, nameof(ciphertext));
        if (pairedIclInfo.Length < PairedIclInfoLength)
        {
            throw new ArgumentException($"The paired ICL info destination must hold {PairedIclInfoLength} bytes.", nameof(pairedIclInfo));
        }

        Span<byte> iv = stackalloc byte[ScaleAndPerturb.IvLength];
        _random.Fill(iv);
        ThrowIfNotFinite(TryEncryptWithIv(plaintext, iv, ciphertext, pairedIclInfo));
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into a new <see cref="EncryptedVector"/>.</summary>
    /// <exception cref="ArgumentException">The plaintext holds NaN or infinity or is too large for β.</exception>
    public EncryptedVector Encrypt(ReadOnlySpan<float> plaintext)
    {
        var ciphertext = new float[plaintext.Length];
        var info = new byte[PairedIclInfoLength];
        Encrypt(plaintext, ciphertext, info);
        return new EncryptedVector(ciphertext, info, SecretPath, DerivationPath);
    }

    /// <summary>
    /// One-way encryption: the same ciphertext distribution as <see cref="Encrypt(ReadOnlySpan{float}, Span{float}, Span{byte})"/>,
    /// but the IV is wiped and no tag is made, so not even the key holder can decrypt it.
    /// </summary>
    /// <remarks>
    /// For training sets and query-only stores: ciphertexts still answer nearest-neighbour search and train
    /// classifiers, and queries are encrypted freshly with the same key.
    /// </remarks>
    /// <exception cref="ArgumentException">The destination is too short, the plaintext holds NaN or infinity or is too
    /// large for β, or it breaks the path's dimension or norm limit.</exception>
    public void EncryptOneWay(ReadOnlySpan<float> plaintext, Span<float> ciphertext)
    {
        ThrowIfDisposed();
        _limits.Check(plaintext, nameof(plaintext));
        CheckDestination(plaintext.Length, ciphertext.Length, nameof(ciphertext));
        Span<byte> iv = stackalloc byte[ScaleAndPerturb.IvLength];
        _random.Fill(iv);
        bool finite = TryTransformAndEncrypt(plaintext, iv, ciphertext, default);
        CryptographicOperations.ZeroMemory(iv);
        ThrowIfNotFinite(finite);
    }

    /// <summary>One-way encryption into a new array; see <see cref="EncryptOneWay(ReadOnlySpan{float}, Span{float})"/>.</summary>
    public float[] EncryptOneWay(ReadOnlySpan<float> plaintext)
    {
        var ciphertext = new float[plaintext.Length];
        EncryptOneWay(plaintext, ciphertext);
        return ciphertext;
    }

    /// <summary>Verifies and decrypts; returns false (plaintext cleared) for any malformed, tampered or foreign input.</summary>
    /// <exception cref="ArgumentException"><paramref name="plaintext"/> is shorter than the ciphertext.</exception>
    public bool TryDecrypt(ReadOnlySpan<float> ciphertext, ReadOnlySpan<byte> pairedIclInfo, Span<float> plaintext) =>
        DecryptCore(ciphertext, pairedIclInfo, plaintext) == VectorDecryptStatus.Success;

    /// <summary>Verifies and decrypts.</summary>
    /// <exception cref="AuthenticationTagMismatchException">The tag does not match: the data was altered, or the tenant,
    /// derivation path or β differ from encryption.</exception>
    /// <exception cref="CryptographicException">The paired ICL info is malformed or not vector metadata.</exception>
    /// <exception cref="KeyNotAvailableException">The header names another key id.</exception>
    public void Decrypt(ReadOnlySpan<float> ciphertext, ReadOnlySpan<byte> pairedIclInfo, Span<float> plaintext) =>
        VectorErrors.ThrowIfFailed(DecryptCore(ciphertext, pairedIclInfo, plaintext), pairedIclInfo);

    /// <summary>Verifies and decrypts into a new array.</summary>
    /// <inheritdoc cref="Decrypt(ReadOnlySpan{float}, ReadOnlySpan{byte}, Span{float})"/>
    public float[] Decrypt(EncryptedVector encrypted)
    {
        ArgumentNullException.ThrowIfNull(encrypted);
        var plaintext = new float[encrypted.Ciphertext.Length];
        Decrypt(encrypted.Ciphertext.Span, encrypted.PairedIclInfo.Span, plaintext);
        return plaintext;
    }

    /// <summary>
    /// Encrypts <paramref name="dimensions"/>-wide rows in parallel across cores. IVs are drawn for all rows first,
    /// in row order. A row that cannot be encrypted (NaN, infinity, overflow, or a norm above the path's limit) fails
    /// alone: its outputs are cleared.
    /// </summary>
    /// <returns>Per row, whether it succeeded.</returns>
    /// <exception cref="ArgumentException"><paramref name="dimensions"/> is not the path's dimension, or a buffer does not fit.</exception>
    public bool[] EncryptBatch(int dimensions, ReadOnlyMemory<float> plaintexts, Memory<float> ciphertexts, Memory<byte> pairedIclInfos)
    {
        int rows = CheckBatch(dimensions, plaintexts.Length, ciphertexts.Length, nameof(ciphertexts));
        if (pairedIclInfos.Length < rows * PairedIclInfoLength)
        {
            throw new ArgumentException($"The paired ICL info destination must hold {PairedIclInfoLength} bytes per row.", nameof(pairedIclInfos));
        }

        byte[] ivs = new byte[rows * ScaleAndPerturb.IvLength];
        _random.Fill(ivs);
        var succeeded = new bool[rows];
        ParallelRows(rows, row =>
        {
            Span<float> ciphertext = ciphertexts.Span.Slice(row * dimensions, dimensions);
            Span<byte> info = pairedIclInfos.Span.Slice(row * PairedIclInfoLength, PairedIclInfoLength);
            ReadOnlySpan<float> plaintext = plaintexts.Span.Slice(row * dimensions, dimensions);
            succeeded[row] = _limits.Allows(plaintext) && TryEncryptWithIv(plaintext, ivs.AsSpan(row * ScaleAndPerturb.IvLength, ScaleAndPerturb.IvLength), ciphertext, info);
            if (!succeeded[row])
            {
                ciphertext.Clear();
                info.Clear();
            }
        });
        return succeeded;
    }

    /// <summary>One-way encryption of many rows in parallel; see <see cref="EncryptBatch"/>.</summary>
    public bool[] EncryptOneWayBatch(int dimensions, ReadOnlyMemory<float> plaintexts, Memory<float> ciphertexts)
    {
        int rows = CheckBatch(dimensions, plaintexts.Length, ciphertexts.Length, nameof(ciphertexts));
        byte[] ivs = new byte[rows * ScaleAndPerturb.IvLength];
        _random.Fill(ivs);
        var succeeded = new bool[rows];
        ParallelRows(rows, row =>
        {
            ReadOnlySpan<float> plaintext = plaintexts.Span.Slice(row * dimensions, dimensions);
            Span<float> ciphertext = ciphertexts.Span.Slice(row * dimensions, dimensions);
            succeeded[row] = _limits.Allows(plaintext) && TryTransformAndEncrypt(plaintext, ivs.AsSpan(row * ScaleAndPerturb.IvLength, ScaleAndPerturb.IvLength), ciphertext, default);
            if (!succeeded[row])
            {
                ciphertext.Clear();
            }
        });
        CryptographicOperations.ZeroMemory(ivs);
        return succeeded;
    }

    /// <summary>Verifies and decrypts many rows in parallel; a row that fails verification is cleared and reported false.</summary>
    public bool[] TryDecryptBatch(int dimensions, ReadOnlyMemory<float> ciphertexts, ReadOnlyMemory<byte> pairedIclInfos, Memory<float> plaintexts)
    {
        int rows = CheckBatch(dimensions, ciphertexts.Length, plaintexts.Length, nameof(plaintexts));
        if (pairedIclInfos.Length != rows * PairedIclInfoLength)
        {
            throw new ArgumentException($"Expected {PairedIclInfoLength} bytes of paired ICL info per row.", nameof(pairedIclInfos));
        }

        var succeeded = new bool[rows];
        ParallelRows(rows, row => succeeded[row] = TryDecrypt(
            ciphertexts.Span.Slice(row * dimensions, dimensions),
            pairedIclInfos.Span.Slice(row * PairedIclInfoLength, PairedIclInfoLength),
            plaintexts.Span.Slice(row * dimensions, dimensions)));
        return succeeded;
    }

    /// <inheritdoc/>
    public override string ToString() => $"VectorEncryptor (key id = {KeyId}, secret path = {SecretPath}, derivation path = {DerivationPath})";

    internal VectorDecryptStatus DecryptCore(ReadOnlySpan<float> ciphertext, ReadOnlySpan<byte> pairedIclInfo, Span<float> plaintext)
    {
        ThrowIfDisposed();
        CheckDestination(ciphertext.Length, plaintext.Length, nameof(plaintext));
        plaintext = plaintext[..ciphertext.Length];
        VectorMetadataStatus parsed = VectorMetadata.TryParse(pairedIclInfo, out KeyIdHeader header, out ReadOnlySpan<byte> iv, out ReadOnlySpan<byte> tag);
        VectorDecryptStatus status = !_limits.AllowsLength(ciphertext.Length) ? VectorDecryptStatus.WrongDimensions
            : parsed != VectorMetadataStatus.Valid ? (VectorDecryptStatus)parsed
            : header.KeyId != KeyId ? VectorDecryptStatus.OtherKey
            : TryDecryptAndInvert(ciphertext, iv, tag, plaintext) ? VectorDecryptStatus.Success
            : VectorDecryptStatus.TagMismatch;
        if (status != VectorDecryptStatus.Success)
        {
            plaintext.Clear();
        }

        return status;
    }

    /// <summary>
    /// Encrypts <paramref name="plaintext"/>, decrypted from <paramref name="sourcePairedIclInfo"/>'s ciphertext, with
    /// an IV derived from that source and this key rather than drawn: the first 12 bytes of
    /// HMAC-SHA256(K, "veil rotate iv/1" ‖ u32_BE(54) ‖ canonical source info ‖ u32_BE(this key id)). The source info is
    /// re-encoded canonically (its key id, IV and tag, which authenticates the source ciphertext), so padding or
    /// re-ordering its protobuf cannot vary the IV. Rotating one ciphertext twice thus gives one output.
    /// </summary>
    /// <exception cref="ArgumentException">The plaintext breaks the path's limits, or its encryption is not finite.</exception>
    /// <exception cref="CryptographicException">The source info is malformed.</exception>
    internal EncryptedVector EncryptForRotation(ReadOnlySpan<float> plaintext, ReadOnlySpan<byte> sourcePairedIclInfo)
    {
        ThrowIfDisposed();
        _limits.Check(plaintext, nameof(plaintext));
        Span<byte> iv = stackalloc byte[ScaleAndPerturb.IvLength];
        DeriveRotationIv(sourcePairedIclInfo, iv);
        var ciphertext = new float[plaintext.Length];
        var info = new byte[PairedIclInfoLength];
        ThrowIfNotFinite(TryEncryptWithIv(plaintext, iv, ciphertext, info));
        return new EncryptedVector(ciphertext, info, SecretPath, DerivationPath);
    }

    /// <summary>The rotation IV of <paramref name="sourcePairedIclInfo"/> under this key; see <see cref="EncryptForRotation"/>.</summary>
    internal void DeriveRotationIv(ReadOnlySpan<byte> sourcePairedIclInfo, Span<byte> iv)
    {
        VectorMetadataStatus parsed = VectorMetadata.TryParse(sourcePairedIclInfo, out KeyIdHeader header, out ReadOnlySpan<byte> sourceIv, out ReadOnlySpan<byte> sourceTag);
        if (parsed != VectorMetadataStatus.Valid)
        {
            VectorErrors.ThrowIfFailed((VectorDecryptStatus)parsed, sourcePairedIclInfo);
        }

        // 16 + 4 + 54 + 4 = 78 bytes: never 12 (the noise seed's message) nor 20 + 4d (a tag's), so no other HMAC
        // input under K can coincide with it.
        ReadOnlySpan<byte> label = "veil rotate iv/1"u8;
        Span<byte> message = stackalloc byte[label.Length + 4 + PairedIclInfoLength + 4];
        label.CopyTo(message);
        BinaryPrimitives.WriteInt32BigEndian(message[label.Length..], PairedIclInfoLength);
        VectorMetadata.Write(header.KeyId, sourceIv, sourceTag, message[(label.Length + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(message[(label.Length + 4 + PairedIclInfoLength)..], KeyId.Value);
        Span<byte> mac = stackalloc byte[32];
        _key.Hmac(message, mac);
        mac[..ScaleAndPerturb.IvLength].CopyTo(iv);
        CryptographicOperations.ZeroMemory(mac);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_key.IsDisposed, this);

    private bool TryEncryptWithIv(ReadOnlySpan<float> plaintext, ReadOnlySpan<byte> iv, Span<float> ciphertext, Span<byte> pairedIclInfo)
    {
        Span<byte> tag = stackalloc byte[ScaleAndPerturb.TagLength];
        if (!TryTransformAndEncrypt(plaintext, iv, ciphertext[..plaintext.Length], tag))
        {
            return false;
        }

        VectorMetadata.Write(KeyId, iv, tag, pairedIclInfo);
        return true;
    }

    /// <summary>
    /// Scale-And-Perturb of the plaintext, first rotated by the key's structured rotation when it has one (in a
    /// stack or pooled buffer, zeroed after).
    /// </summary>
    private bool TryTransformAndEncrypt(ReadOnlySpan<float> plaintext, ReadOnlySpan<byte> iv, Span<float> ciphertext, Span<byte> tag)
    {
        int d = plaintext.Length;
        if (_key.Transform == VectorKeyTransform.AlloyPermutation)
        {
            return ScaleAndPerturb.TryEncrypt(_key, _parameters, _key.GetPermutation(d), plaintext, iv, ciphertext, tag);
        }

        float[]? rented = null;
        Span<float> buffer = d <= StackDimensions ? stackalloc float[2 * d] : (rented = ArrayPool<float>.Shared.Rent(2 * d)).AsSpan(0, 2 * d);
        _key.GetRotation(d)!.Apply(plaintext, buffer[..d], buffer[d..]);
        bool finite = ScaleAndPerturb.TryEncrypt(_key, _parameters, _key.GetPermutation(d), buffer[..d], iv, ciphertext, tag);
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(buffer));
        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return finite;
    }

    /// <summary>Verifies and decrypts, then undoes the key's structured rotation when it has one.</summary>
    private bool TryDecryptAndInvert(ReadOnlySpan<float> ciphertext, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> tag, Span<float> plaintext)
    {
        int d = ciphertext.Length;
        if (!ScaleAndPerturb.TryDecrypt(_key, _parameters, _key.GetPermutation(d), ciphertext, iv, tag, plaintext))
        {
            return false;
        }

        if (_key.Transform == VectorKeyTransform.AlloyPermutation)
        {
            return true;
        }

        float[]? rented = null;
        Span<float> scratch = d <= StackDimensions ? stackalloc float[d] : (rented = ArrayPool<float>.Shared.Rent(d)).AsSpan(0, d);
        _key.GetRotation(d)!.Invert(plaintext, scratch);
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(scratch));
        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return true;
    }

    private static void ThrowIfNotFinite(bool finite)
    {
        if (!finite)
        {
            throw new ArgumentException("Embedding or approximation factor too large: the plaintext holds NaN or infinity, or its encryption would not be finite.");
        }
    }

    private static void CheckDestination(int sourceLength, int destinationLength, string name)
    {
        if (destinationLength < sourceLength)
        {
            throw new ArgumentException($"The destination holds {destinationLength} values; {sourceLength} are needed.", name);
        }
    }

    private int CheckBatch(int dimensions, int sourceLength, int destinationLength, string name)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        _limits.CheckLength(dimensions, nameof(dimensions));
        if (sourceLength % dimensions != 0)
        {
            throw new ArgumentException($"The input length {sourceLength} is not a whole number of {dimensions}-dimensional rows.", nameof(dimensions));
        }

        CheckDestination(sourceLength, destinationLength, name);
        return sourceLength / dimensions;
    }

    // Rows are handed out in contiguous chunks so each task amortises scheduling over many vectors.
    private static void ParallelRows(int rows, Action<int> body)
    {
        const int chunk = 64;
        if (rows <= chunk)
        {
            for (int row = 0; row < rows; row++)
            {
                body(row);
            }

            return;
        }

        Parallel.For(0, (rows + chunk - 1) / chunk, c =>
        {
            int end = Math.Min(rows, (c + 1) * chunk);
            for (int row = c * chunk; row < end; row++)
            {
                body(row);
            }
        });
    }
}
