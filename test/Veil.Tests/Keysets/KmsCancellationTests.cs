using Veil.Insecure;
using Veil.Keys;

namespace Veil.Tests.Keysets;

/// <summary>The keyset's KMS operations are asynchronous and stop, without touching the KMS, once cancelled.</summary>
public sealed class KmsCancellationTests
{
    private readonly TestKms _kms = new();

    [Fact]
    public async Task UnwrapAsync_WhenAlreadyCancelled_ThrowsBeforeReachingTheKms()
    {
        Keyset keyset = Keyset.Parse((await NewKeysetAsync()).ToJson());
        (int getKeys, int unwraps) = (_kms.GetKeyCalls, _kms.UnwrapCalls);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.UnwrapAsync(_kms, new CancellationToken(canceled: true)));

        Assert.Equal((getKeys, unwraps), (_kms.GetKeyCalls, _kms.UnwrapCalls));
    }

    [Fact]
    public async Task UnwrapAsync_WhenCancelledWhileOpeningTheKek_UnwrapsNoSecret()
    {
        Keyset keyset = Keyset.Parse((await NewKeysetAsync()).ToJson());
        using var cancellation = new CancellationTokenSource();
        _kms.OnGetKey = cancellation.Cancel;
        int unwraps = _kms.UnwrapCalls;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.UnwrapAsync(_kms, cancellation.Token));

        Assert.Equal(unwraps, _kms.UnwrapCalls);
    }

    [Fact]
    public async Task VerifyAsync_WhenAlreadyCancelled_ThrowsBeforeReachingTheKms()
    {
        Keyset keyset = Keyset.Parse((await NewKeysetAsync()).ToJson());
        int getKeys = _kms.GetKeyCalls;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.VerifyAsync(_kms, new CancellationToken(canceled: true)));

        Assert.Equal(getKeys, _kms.GetKeyCalls);
        Assert.Throws<InvalidOperationException>(() => keyset.Promote(KeysetSection.Deterministic, TestIds.P, new KeyId(1)));
    }

    [Fact]
    public async Task AddSecretAsync_WhenAlreadyCancelled_WrapsAndAddsNothing()
    {
        Keyset keyset = await NewKeysetAsync();
        using TestKek kek = _kms.Kek();
        string before = keyset.ToJson();
        int wrapped = _kms.Wrapped.Count;
        var cancelled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.AddVectorSecretAsync(new SecretPath("v"), kek, 2f, cancellationToken: cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.AddDeterministicSecretAsync(TestIds.P, kek, cancellationToken: cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => keyset.AddStandardSecretAsync(kek, cancellationToken: cancelled));

        Assert.Equal(wrapped, _kms.Wrapped.Count);
        Assert.Equal(before, keyset.ToJson());
    }

    [Fact]
    public async Task ImportAndUpgrade_WhenAlreadyCancelled_ThrowBeforeReachingTheKms()
    {
        using TestKek kek = _kms.Kek();
        using var secret = Secret.Generate();
        var configuration = new VeilConfiguration(
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [TestIds.P] = new(new IdentifiedSecret(new KeyId(1), secret)) });
        var cancelled = new CancellationToken(canceled: true);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => InsecureCleartextKeyset.ImportAsync(configuration, kek, cancelled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Keyset.UpgradeFromVersion1Async("{}", _kms, cancelled));

        Assert.Empty(_kms.Wrapped);
        Assert.Equal(0, _kms.GetKeyCalls);
    }

    private async Task<Keyset> NewKeysetAsync()
    {
        using TestKek kek = _kms.Kek();
        Keyset keyset = Keyset.Create(kek.KeyUri);
        await keyset.AddDeterministicSecretAsync(TestIds.P, kek);
        return keyset;
    }
}
