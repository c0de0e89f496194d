using System.Text;
using BenchmarkDotNet.Attributes;
using Veil.Fields;
using Veil.Keys;

namespace Veil.Benchmarks;

/// <summary>
/// Metadata batches of 4 096 items for one tenant, as an ingest of records with a category and a text: deterministic
/// (AES-SIV) fields of a 12-byte category, and attached (AES-256-GCM) documents of a 60-byte JSON text. Every item of a
/// batch shares its tenant key, so the per-item cost is the cipher work, not key derivation. The <c>PerItem</c>
/// baselines run the same items through the batch runner one single-item call each, which derives the key and builds
/// the ciphers for every item. The <c>Bound</c> variants bind each document to a record id and the field name "text"
/// (<see cref="Documents.FieldBinding"/>, as the MEVD decorator's <c>BindStandardProperties</c> does), building the
/// bindings inside the measured call.
/// </summary>
[MemoryDiagnoser]
public class MetadataBatchBenchmarks
{
    private const int Items = 4_096;
    private static readonly string[] s_fieldNames = ["text"];
    private Secret _secret = null!;
    private VeilClient _client = null!;
    private PlaintextField[] _fields = null!;
    private EncryptedField[] _encryptedFields = null!;
    private byte[][] _texts = null!;
    private byte[][] _documents = null!;
    private Documents.DocumentBinding[] _ids = null!;
    private byte[][] _boundDocuments = null!;
    private readonly TenantId _tenant = new("tenant");

    [GlobalSetup]
    public void Setup()
    {
        _secret = new Secret(Enumerable.Repeat((byte)3, 64).ToArray());
        var secret = new IdentifiedSecret(new KeyId(1), _secret);
        _client = new VeilClient(new VeilConfiguration(
            deterministic: new Dictionary<SecretPath, RotatableSecret> { [new SecretPath("bench")] = new RotatableSecret(secret) },
            standard: new StandardSecrets(new KeyId(1), [secret])));
        _fields = Enumerable.Range(0, Items)
            .Select(i => new PlaintextField(Encoding.UTF8.GetBytes($"category-{i % 97:D3}"), new SecretPath("bench"), new DerivationPath("category")))
            .ToArray();
        _encryptedFields = Values(_client.Deterministic.EncryptDeterministicallyBatch(_fields, _tenant));
        _texts = Enumerable.Range(0, Items)
            .Select(i => Encoding.UTF8.GetBytes($"{{\"text\":\"record {i:D6} of the encrypted ingest benchmark\"}}"))
            .ToArray();
        _documents = Values(_client.StandardAttached.EncryptBatch(_texts, _tenant));
        _ids = Enumerable.Range(0, Items).Select(i => Documents.DocumentBinding.ForId($"record-{i:D6}")).ToArray();
        _boundDocuments = Values(_client.StandardAttached.EncryptBatch(_texts, _tenant, Bindings()));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _secret.Dispose();
    }

    [Benchmark]
    public BatchResult<EncryptedField> EncryptFieldsPerItem() => BatchResult<EncryptedField>.Run(
        _fields, field => _client.Deterministic.EncryptDeterministically(field.Plaintext.Span, field.SecretPath, field.DerivationPath, _tenant));

    [Benchmark]
    public BatchResult<EncryptedField> EncryptFields() => _client.Deterministic.EncryptDeterministicallyBatch(_fields, _tenant);

    [Benchmark]
    public BatchResult<byte[]> DecryptFields() => _client.Deterministic.DecryptBatch(_encryptedFields, _tenant);

    [Benchmark]
    public BatchResult<byte[]> EncryptDocumentsPerItem() =>
        BatchResult<byte[]>.Run(_texts, text => _client.StandardAttached.Encrypt(text, _tenant));

    [Benchmark]
    public BatchResult<byte[]> EncryptDocuments() => _client.StandardAttached.EncryptBatch(_texts, _tenant);

    [Benchmark]
    public BatchResult<byte[]> DecryptDocuments() => _client.StandardAttached.DecryptBatch(_documents, _tenant);

    [Benchmark]
    public BatchResult<byte[]> EncryptDocumentsBound() => _client.StandardAttached.EncryptBatch(_texts, _tenant, Bindings());

    [Benchmark]
    public BatchResult<byte[]> DecryptDocumentsBound() => _client.StandardAttached.DecryptBatch(_boundDocuments, _tenant, Bindings());

    private Documents.FieldBinding[] Bindings() => Array.ConvertAll(_ids, id => new Documents.FieldBinding(id, "text", s_fieldNames));

    private static T[] Values<T>(BatchResult<T> results) => results.Select(r => r.Value!).ToArray();
}
