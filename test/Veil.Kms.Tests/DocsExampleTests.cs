using Veil.Keys;
using Veil.Kms.Pkcs11;

namespace Veil.Kms.Tests;

/// <summary>The library example of docs/keys.md, kept compiling and working (against SoftHSM2).</summary>
[Collection(SoftHsm.Collection)]
public class DocsExampleTests
{
    [SoftHsmFact]
    public async Task KeysDocExample_WhenRunAsWritten_CreatesAndLoadsAKeyset()
    {
        string pin = SoftHsm.Pin;
        string file = Path.Combine(Path.GetTempPath(), $"veil-docs-keyset-{Guid.NewGuid():N}.json");
        try
        {
            var kms = new Pkcs11KmsClient(new Pkcs11KmsOptions { ModulePath = SoftHsm.Module!, Pin = () => pin });
            string kekUri = SoftHsm.NewKeyUri();

            using (IKeyEncryptionKey kek = await kms.CreateKeyAsync(kekUri))
            {
                Keyset keyset = Keyset.Create(kekUri);
                await keyset.AddVectorSecretAsync(new SecretPath("embeddings"), kek, approximationFactor: 2.5f);
                File.WriteAllText(file, keyset.ToJson());
            }

            Keyset loaded = Keyset.Parse(File.ReadAllText(file));
            using UnwrappedKeyset live = await loaded.UnwrapAsync(kms);
            using var client = new VeilClient(live.Configuration);

            Assert.Equal(new KeyId(1), client.Vector.Encrypt([0.1f, 0.2f], new SecretPath("embeddings"), new DerivationPath("minilm"), new TenantId("tenant-42")).KeyId);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
