using System.Net;
using System.Text.Json;
using Veil.Fields;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Service.Tests;

/// <summary>
/// Issue 14 §1: keys derive from tenant-derivationPath, so tenant "acme" with derivation path "eu-body" is tenant
/// "acme-eu" with path "body". A client allowed only "acme" must not reach "acme-eu"'s data that way.
/// </summary>
public sealed class CrossTenantTests : IDisposable
{
    private static readonly string s_acmeKey = ServiceClients.GenerateApiKey();
    private static readonly byte[] s_secret = "acme-eu's secret"u8.ToArray();
    private static readonly string[] s_operations = [ServiceOperations.FieldDecrypt, ServiceOperations.FieldEncrypt, ServiceOperations.VectorDecrypt, ServiceOperations.VectorEncrypt];
    private readonly TestKeys _keys = new();
    private readonly EncryptedField _victimField;
    private readonly EncryptedVector _victimVector;
    private readonly float[] _victimPlaintext = TestKeys.Unit([.. Enumerable.Range(0, TestKeys.Dimensions).Select(i => (float)Math.Sin(i + 1))]);

    public CrossTenantTests()
    {
        // What tenant acme-eu stored (the library holds every key and keeps Alloy's behaviour). A constructor cannot
        // await; the local KMS never resumes on a synchronization context.
        using UnwrappedKeyset unwrapped = _keys.UnwrapAsync().GetAwaiter().GetResult();
        using var local = new VeilClient(unwrapped.Configuration);
        _victimField = local.Deterministic.EncryptDeterministically(s_secret, new SecretPath(TestKeys.SecretPath), new DerivationPath("body"), new TenantId("acme-eu"));
        _victimVector = local.Vector.Encrypt(_victimPlaintext, new SecretPath(TestKeys.SecretPath), new DerivationPath("body"), new TenantId("acme-eu"));

        // The control: the collision is real, tenant acme with derivation path eu-body derives the same keys.
        Assert.Equal(s_secret, local.Deterministic.Decrypt(new EncryptedField(_victimField.Ciphertext, new SecretPath(TestKeys.SecretPath), new DerivationPath("eu-body")), new TenantId("acme")));
        Assert.Equal(_victimPlaintext.Length, local.Vector.Decrypt(new EncryptedVector(_victimVector.Ciphertext, _victimVector.PairedIclInfo, new SecretPath(TestKeys.SecretPath), new DerivationPath("eu-body")), new TenantId("acme")).Length);
    }

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task DerivationPathAttack_ByDefault_IsRefusedWith400AndAudited()
    {
        ServiceClients clients = ServiceClients.Create([ServiceCalls.Client("acme-app", s_acmeKey, ["acme"], s_operations)]);
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, clients: clients);

        (HttpStatusCode field, JsonElement fieldBody) = await ServiceCalls.PostAsync(host, "v1/field/decrypt", FieldDecrypt("acme", "eu-body"), s_acmeKey);
        (HttpStatusCode vector, _) = await ServiceCalls.PostAsync(host, "v1/vector/decrypt", VectorDecrypt("acme", "eu-body"), s_acmeKey);
        (HttpStatusCode forge, _) = await ServiceCalls.PostAsync(host, "v1/field/encrypt", new { tenant = "acme", secretPath = TestKeys.SecretPath, derivationPath = "eu-body", items = new[] { new { id = 1, value = s_secret } } }, s_acmeKey);

        Assert.Equal(HttpStatusCode.BadRequest, field);
        Assert.Equal(HttpStatusCode.BadRequest, vector);
        Assert.Equal(HttpStatusCode.BadRequest, forge);
        Assert.Contains("'-'", fieldBody.GetProperty("error").GetString(), StringComparison.Ordinal);
        JsonElement[] audit = ServiceCalls.AuditLines(host);
        Assert.Contains(audit, l => l.GetProperty("status").GetInt32() == 400 && l.GetProperty("derivationPath").GetString() == "eu-body" && l.GetProperty("tenant").GetString() == "acme");

        // Tenants with '-' (and rotate's newTenant) are refused too; the legitimate split works.
        (HttpStatusCode hyphenTenant, _) = await ServiceCalls.PostAsync(host, "v1/field/decrypt", FieldDecrypt("acme-eu", "body"), s_acmeKey);
        Assert.Equal(HttpStatusCode.BadRequest, hyphenTenant);
        (HttpStatusCode ok, _) = await ServiceCalls.PostAsync(host, "v1/field/encrypt", new { tenant = "acme", secretPath = TestKeys.SecretPath, derivationPath = "body", items = new[] { new { id = 1, value = s_secret } } }, s_acmeKey);
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task DerivationPathAttack_OptInWithACollidingPolicy_IsRefusedAtLoad()
    {
        ServiceClients colliding = ServiceClients.Create([ServiceCalls.Client("acme-app", s_acmeKey, ["acme"], s_operations, ["eu-body"])]);
        FormatException e = await Assert.ThrowsAsync<FormatException>(() => ServiceHost.StartAsync(_keys, clients: colliding, allowHyphenatedIds: true));
        Assert.Contains("'acme-app'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'acme-eu'", e.Message, StringComparison.Ordinal);

        ServiceClients unlisted = ServiceClients.Create([ServiceCalls.Client("acme-app", s_acmeKey, ["acme"], s_operations)]);
        FormatException any = await Assert.ThrowsAsync<FormatException>(() => ServiceHost.StartAsync(_keys, clients: unlisted, allowHyphenatedIds: true));
        Assert.Contains("must list", any.Message, StringComparison.Ordinal);

        // Every '-' counts: "acme-eu" with "x-y" reaches "acme" (allowed here) and "acme-eu-x" (not allowed).
        ServiceClients inner = ServiceClients.Create([ServiceCalls.Client("eu-app", s_acmeKey, ["acme-eu", "acme"], s_operations, ["x-y"])]);
        FormatException nested = await Assert.ThrowsAsync<FormatException>(() => ServiceHost.StartAsync(_keys, clients: inner, allowHyphenatedIds: true));
        Assert.Contains("'acme-eu-x'", nested.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DerivationPathAttack_OptInWithAListedPolicy_IsForbiddenPerRequest()
    {
        ServiceClients clients = ServiceClients.Create(
        [
            ServiceCalls.Client("acme-app", s_acmeKey, ["acme"], s_operations, ["body"]),
            ServiceCalls.Client("admin", ServiceHost.AdminKey, ["*"], ["*"]),
        ]);
        await using ServiceHost host = await ServiceHost.StartAsync(_keys, clients: clients, allowHyphenatedIds: true);

        (HttpStatusCode field, JsonElement body) = await ServiceCalls.PostAsync(host, "v1/field/decrypt", FieldDecrypt("acme", "eu-body"), s_acmeKey);
        (HttpStatusCode vector, _) = await ServiceCalls.PostAsync(host, "v1/vector/decrypt", VectorDecrypt("acme", "eu-body"), s_acmeKey);
        Assert.Equal(HttpStatusCode.Forbidden, field);
        Assert.Equal(HttpStatusCode.Forbidden, vector);
        Assert.Equal("forbidden: derivation path", body.GetProperty("error").GetString());

        // Existing Alloy data with hyphens stays usable by a client allowed every tenant.
        (HttpStatusCode admin, JsonElement decrypted) = await ServiceCalls.PostAsync(host, "v1/field/decrypt", FieldDecrypt("acme-eu", "body"), ServiceHost.AdminKey);
        Assert.Equal(HttpStatusCode.OK, admin);
        Assert.Equal(s_secret, decrypted.GetProperty("items")[0].GetProperty("value").GetBytesFromBase64());
    }

    private object FieldDecrypt(string tenant, string derivationPath) =>
        new { tenant, secretPath = TestKeys.SecretPath, derivationPath, items = new[] { new { id = 1, encryptedValue = _victimField.Ciphertext } } };

    private object VectorDecrypt(string tenant, string derivationPath) => new
    {
        tenant,
        secretPath = TestKeys.SecretPath,
        derivationPath,
        items = new[] { new { id = 1, encryptedVector = _victimVector.Ciphertext.ToArray(), pairedIclInfo = _victimVector.PairedIclInfo.ToArray() } },
    };
}
