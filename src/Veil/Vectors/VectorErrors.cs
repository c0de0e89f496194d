using System.Security.Cryptography;
using Veil.Formats;

namespace Veil.Vectors;

/// <summary>Why a vector did not decrypt. The first values mirror <see cref="VectorMetadataStatus"/>.</summary>
internal enum VectorDecryptStatus
{
    Success = VectorMetadataStatus.Valid,
    MalformedHeader = VectorMetadataStatus.MalformedHeader,
    WrongType = VectorMetadataStatus.WrongType,
    MalformedProtobuf = VectorMetadataStatus.MalformedProtobuf,
    InvalidIv = VectorMetadataStatus.InvalidIv,
    InvalidTag = VectorMetadataStatus.InvalidTag,
    OtherKey,
    TagMismatch,
    WrongDimensions,
}

/// <summary>Turns a decrypt status into the documented exception. Messages name no key bytes and no plaintext.</summary>
internal static class VectorErrors
{
    public static void ThrowIfFailed(VectorDecryptStatus status, ReadOnlySpan<byte> pairedIclInfo)
    {
        switch (status)
        {
            case VectorDecryptStatus.Success:
                return;
            case VectorDecryptStatus.MalformedHeader:
                throw new CryptographicException("Encrypted header was invalid: the paired ICL info does not start with a valid 6-byte key-id header.");
            case VectorDecryptStatus.WrongType:
                _ = KeyIdHeader.TryParse(pairedIclInfo, out KeyIdHeader header);
                throw new CryptographicException($"The data indicated that this was not a Standalone Vector Metadata wrapped value. Found: {header.EdekType} {header.PayloadType}.");
            case VectorDecryptStatus.MalformedProtobuf:
                throw new CryptographicException("The paired ICL info is malformed: its protobuf body could not be parsed.");
            case VectorDecryptStatus.InvalidIv:
                throw new CryptographicException("Invalid IV: the paired ICL info must hold a 12-byte IV.");
            case VectorDecryptStatus.InvalidTag:
                throw new CryptographicException("Invalid authentication hash: the paired ICL info must hold a 32-byte tag.");
            case VectorDecryptStatus.WrongDimensions:
                throw new CryptographicException("The ciphertext's length is not the dimension of this secret path's vectors.");
            case VectorDecryptStatus.OtherKey:
                _ = KeyIdHeader.TryParse(pairedIclInfo, out KeyIdHeader other);
                throw new KeyNotAvailableException($"The vector was encrypted with key id {other.KeyId}, which this encryptor does not hold.", other.KeyId);
            default:
                throw new AuthenticationTagMismatchException(
                    "Invalid authentication hash: the vector or its paired ICL info was altered, or the tenant, derivation path or approximation factor differ from those used to encrypt it.");
        }
    }
}
