using System.Text;
using Veil.Sealed.Tests.Support;

namespace Veil.Sealed.Tests;

public sealed class SealedBoxTests(SealedTestKeys keys) : IClassFixture<SealedTestKeys>
{
    private static readonly byte[] s_plaintext = Encoding.UTF8.GetBytes("sixteen bytes!!!");
    private static readonly byte[] s_key = "sdoc-1"u8.ToArray();

    [Fact]
    public void TryOpen_WhenSealedByThisKeyring_ReturnsPlaintextAndHeaderNamesPrimaryKey()
    {
        byte[] box = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);

        Assert.True(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, box, out byte[] opened));
        Assert.Equal(s_plaintext, opened);
        Assert.Equal(SealedBox.Overhead + s_plaintext.Length, box.Length);
        Assert.Equal(new Veil.Keys.KeyId(2), SealedBox.KeyIdOf(box));
    }

    [Fact]
    public void Seal_WhenSamePlaintextTwice_CiphertextsDiffer()
    {
        byte[] first = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);
        byte[] second = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void TryOpen_WhenAnyByteIsFlipped_Fails()
    {
        byte[] box = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);
        for (int i = 0; i < box.Length; i++)
        {
            byte[] tampered = (byte[])box.Clone();
            tampered[i] ^= 0x01;
            Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, tampered, out _), $"byte {i}");
        }

        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, box.AsSpan(0, box.Length - 1), out _));
        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, [], out _));
    }

    [Fact]
    public void TryOpen_WhenBoxIsMovedToAnotherRecordCollectionOrKind_Fails()
    {
        byte[] box = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);

        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", "sdoc-2"u8, box, out _));
        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "other", s_key, box, out _));
        box[1] = (byte)SealedKind.IndexLogEntry;
        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.IndexLogEntry, "docs", s_key, box, out _));
    }

    [Fact]
    public void TryOpen_WhenKeyringOfAnotherTenant_Fails()
    {
        byte[] box = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);

        Assert.False(SealedBox.TryOpen(keys.OtherTenant, SealedKind.Vector, "docs", s_key, box, out _));
    }

    [Fact]
    public void TryOpen_WhenSealedWithTheSecretInRotation_OpensWithTheNewKeyringButNotTheReverse()
    {
        byte[] old = SealedBox.Seal(keys.OldOnly, SealedKind.Vector, "docs", s_key, s_plaintext);
        byte[] current = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);

        Assert.True(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, old, out _));
        Assert.False(SealedBox.TryOpen(keys.OldOnly, SealedKind.Vector, "docs", s_key, current, out _));
    }

    [Fact]
    public void TryOpen_WhenTheHeaderClaimsTheOtherKeyId_Fails()
    {
        byte[] box = SealedBox.Seal(keys.Keyring, SealedKind.Vector, "docs", s_key, s_plaintext);
        box[5] = 1;

        Assert.False(SealedBox.TryOpen(keys.Keyring, SealedKind.Vector, "docs", s_key, box, out _));
    }

    [Fact]
    public void Keyring_ToStringAndDebuggerDisplay_NameNoKeyBytes()
    {
        Assert.Equal("SealedKeyring (tenant tenant-1, redacted)", keys.Keyring.ToString());
    }
}
