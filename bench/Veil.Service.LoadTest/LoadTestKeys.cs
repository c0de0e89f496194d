using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Service;

/// <summary>The keys both load tests serve: a keyset in <c>directory</c> with one vector path "docs" (β = 2.5), unwrapped through a local KMS.</summary>
internal static class LoadTestKeys
{
    public static async Task<UnwrappedKeyset> CreateAsync(string directory)
    {
        var kms = new LocalFileKmsClient(() => "load test", new LocalFileKmsOptions { MemorySizeKiB = 8 * 1024, Iterations = 1 });
        string kekUri = "local:" + Path.Combine(directory, "kek.json");
        Keyset keyset = Keyset.Create(kekUri);
        using (IKeyEncryptionKey kek = await kms.CreateKeyAsync(kekUri))
        {
            await keyset.AddVectorSecretAsync(new SecretPath("docs"), kek, approximationFactor: 2.5f);
        }

        return await keyset.UnwrapAsync(kms);
    }

    /// <summary>The rate-limited client both load tests drive: every tenant, path and operation, <paramref name="rate"/> items/s up to <paramref name="burst"/>.</summary>
    public static ClientPolicy LimitedClient(string apiKey, double rate, double burst) => new()
    {
        Name = "limited",
        KeySha256 = ServiceClients.HashApiKey(apiKey),
        Tenants = ["*"],
        SecretPaths = ["*"],
        Operations = ["*"],
        RateLimit = new RateLimitPolicy { ItemsPerSecond = rate, Burst = burst },
    };
}
