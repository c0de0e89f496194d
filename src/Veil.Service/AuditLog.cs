using System.Text.Json;

namespace Veil.Service;

/// <summary>
/// One JSON line per request: time, client, operation, tenant, secret path, item counts and outcome. It never holds
/// plaintext, ciphertext, API keys or key material.
/// </summary>
internal sealed class AuditLog(TextWriter? writer)
{
    private readonly Lock _lock = new();

    public void Write(AuditEntry entry)
    {
        if (writer is null)
        {
            return;
        }

        string line = JsonSerializer.Serialize(entry, ServiceWireJson.Audit);
        lock (_lock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}

/// <summary>An audit line.</summary>
internal sealed record AuditEntry(
    DateTimeOffset Time,
    string? Client,
    string Operation,
    string? Tenant,
    string? SecretPath,
    int Count,
    int Failed,
    int Status,
    string Outcome,
    string? Remote);
