using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Veil.Service;

/// <summary>
/// One JSON line per request: time, client, operation, tenant, secret and derivation paths, item counts, status and
/// outcome. It never holds plaintext, ciphertext, API keys or key material, and every string a caller chose (tenant,
/// paths, error text) is cut to a few dozen characters, so a caller cannot grow the log faster than its requests.
/// </summary>
/// <remarks>
/// A line is written (and flushed) before the answer it describes is sent: when it cannot be written, the request
/// gets 500 and no result, so the log never claims an answer the caller did not get. The writer must not keep text it
/// failed to write (<see cref="OpenFile"/> gives such a writer for a file; a <see cref="StreamWriter"/> over a buffered
/// <see cref="FileStream"/> is not one: its buffer would flush later). After a failure, the next line written starts
/// on a new line, preceded by one line saying how many lines were lost.
/// </remarks>
internal sealed class AuditLog(TextWriter? writer)
{
    /// <summary>The longest tenant, path or new tenant written; longer ones are cut and end with "…".</summary>
    public const int MaxIdLength = 64;

    /// <summary>The longest outcome (error text) written.</summary>
    public const int MaxOutcomeLength = 160;

    private readonly Lock _lock = new();
    private long _lost;

    /// <summary>Opens <paramref name="path"/> for appending audit lines, unbuffered below the writer, so a failed write leaves nothing to flush later.</summary>
    public static TextWriter OpenFile(string path) =>
        new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0), new UTF8Encoding(false), 64 * 1024);

    /// <summary>Writes the line; false when it could not be written (the caller must then not send a result).</summary>
    public bool TryWrite(AuditEntry entry)
    {
        if (writer is null)
        {
            return true;
        }

        AuditEntry cut = entry with
        {
            Tenant = Cut(entry.Tenant, MaxIdLength),
            NewTenant = Cut(entry.NewTenant, MaxIdLength),
            SecretPath = Cut(entry.SecretPath, MaxIdLength),
            DerivationPath = Cut(entry.DerivationPath, MaxIdLength),
            Outcome = Cut(entry.Outcome, MaxOutcomeLength)!,
        };
        string line = JsonSerializer.Serialize(cut, ServiceWireJson.Audit);
        lock (_lock)
        {
            try
            {
                if (_lost > 0)
                {
                    // A failed write may have left part of a line: end it, and say what was lost.
                    string lost = string.Create(CultureInfo.InvariantCulture, $$"""{"time":"{{entry.Time.UtcDateTime:O}}","operation":"audit","status":500,"outcome":"{{_lost}} audit lines could not be written; requests that would have succeeded got 500 and no result"}""");
                    writer.Write("\n" + lost + "\n");
                    _lost = 0;
                }

                writer.Write(line + "\n");
                writer.Flush();
                return true;
            }
#pragma warning disable CA1031 // Any failure of the writer (disk full, closed, …) fails the request closed; the service carries on.
            catch (Exception)
#pragma warning restore CA1031
            {
                _lost++;
                return false;
            }
        }
    }

    private static string? Cut(string? text, int max)
    {
        if (text is null || text.Length <= max)
        {
            return text;
        }

        int end = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, end), "…");
    }
}

/// <summary>An audit line.</summary>
internal sealed record AuditEntry(
    DateTimeOffset Time,
    string? Client,
    string Operation,
    string? Tenant,
    string? NewTenant,
    string? SecretPath,
    string? DerivationPath,
    int Count,
    int Failed,
    int Status,
    string Outcome,
    string? Remote);
