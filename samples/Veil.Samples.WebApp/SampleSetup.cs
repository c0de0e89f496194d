using System.Text.Json;
using Veil.Configuration;
using Veil.Keys;
using Veil.Kms.LocalFile;
using Veil.Service;

namespace Veil.Samples.WebApp;

/// <summary>
/// First run: creates the sample's keyset (a vector and a standard secret wrapped by a local KMS key file, whose
/// passphrase is read from <c>VEIL_KMS_PASSPHRASE</c>) and a clients file for the mounted key service, with one API
/// key written owner-only to <c>sample-api-key.txt</c>. Then points <c>Veil</c> and <c>VeilKeyService</c> at them,
/// unless the configuration already names other files. In production the keyset comes from <c>veil keys create</c>.
/// </summary>
internal static class SampleSetup
{
    public const string VectorPath = "docs";

    public static void EnsureFiles(ConfigurationManager configuration)
    {
        string directory = Path.GetFullPath(configuration["Sample:DataDirectory"] ?? "veil-sample-data");
        Directory.CreateDirectory(directory);
        configuration["Sample:DatabasePath"] ??= Path.Combine(directory, "documents.duckdb");
        string keysetPath = configuration["Veil:Keys:KeysetPath"] ??= Path.Combine(directory, "keyset.json");
        configuration["VeilKeyService:Keys:KeysetPath"] ??= keysetPath;
        string clientsPath = configuration["VeilKeyService:ClientsPath"] ??= Path.Combine(directory, "clients.json");
        configuration["VeilKeyService:AuditLogPath"] ??= Path.Combine(directory, "audit.jsonl");
        if (!File.Exists(keysetPath))
        {
            string variable = configuration["Veil:Keys:PassphraseVariable"] ?? KmsSelection.DefaultPassphraseVariable;
            string passphrase = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException($"Set the environment variable {variable} to the passphrase that protects the sample's key (it creates one on first run).");
            var kms = new LocalFileKmsClient(() => passphrase, new LocalFileKmsOptions { BaseDirectory = directory });
            const string KekUri = "local:kek.json";
            Keyset keyset = Keyset.Create(KekUri);
            using (IKeyEncryptionKey kek = kms.CreateKey(KekUri))
            {
                keyset.AddVectorSecret(new SecretPath(VectorPath), kek, approximationFactor: 2.5f, dimensions: SampleDocument.Dimensions);
                keyset.AddStandardSecret(kek);
            }

            KeysetFile.Create(keyset, keysetPath);
        }

        if (!File.Exists(clientsPath))
        {
            string apiKey = ServiceClients.GenerateApiKey();
            string apiKeyPath = Path.Combine(directory, "sample-api-key.txt");
            File.WriteAllText(apiKeyPath, apiKey);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(apiKeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var client = new Dictionary<string, object>
            {
                ["name"] = "sample",
                ["keySha256"] = ServiceClients.HashApiKey(apiKey),
                ["tenants"] = new[] { "*" },
                ["secretPaths"] = new[] { "*" },
                ["operations"] = new[] { "*" },
            };
            File.WriteAllText(clientsPath, JsonSerializer.Serialize(new Dictionary<string, object> { ["clients"] = new[] { client } }));
        }
    }
}
