using System.Globalization;
using System.Runtime.CompilerServices;

namespace Veil.Sealed;

/// <summary>
/// An <see cref="ISealedIndexStorage"/> in a directory: <c>snapshot-{sequence}.sealed</c> and one
/// <c>log-{sequence}.sealed</c> file per change-log entry. Every file is written to a temporary name, flushed to disk and
/// renamed, so a crash leaves either the old or the new file, never half of one.
/// </summary>
public sealed class DirectorySealedIndexStorage : ISealedIndexStorage
{
    private const string SnapshotPrefix = "snapshot-";
    private const string LogPrefix = "log-";
    private const string Extension = ".sealed";

    private readonly string _directory;

    /// <summary>Uses <paramref name="directory"/> (created if missing).</summary>
    public DirectorySealedIndexStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <inheritdoc/>
    public async Task<SealedIndexBlob?> ReadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        (long Sequence, string Path)? latest = Files(SnapshotPrefix).OrderByDescending(f => f.Sequence).Cast<(long, string)?>().FirstOrDefault();
        return latest is { } file ? new SealedIndexBlob(file.Sequence, await File.ReadAllBytesAsync(file.Path, cancellationToken).ConfigureAwait(false)) : null;
    }

    /// <inheritdoc/>
    public async Task WriteSnapshotAsync(SealedIndexBlob snapshot, CancellationToken cancellationToken = default)
    {
        await WriteAtomicallyAsync(NameOf(SnapshotPrefix, snapshot.Sequence), snapshot.Data, cancellationToken).ConfigureAwait(false);
        foreach ((long sequence, string path) in Files(SnapshotPrefix).Where(f => f.Sequence < snapshot.Sequence).Concat(Files(LogPrefix).Where(f => f.Sequence <= snapshot.Sequence)))
        {
            File.Delete(path);
        }
    }

    /// <inheritdoc/>
    public Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        if (File.Exists(Path.Combine(_directory, NameOf(LogPrefix, entry.Sequence))))
        {
            throw new InvalidOperationException($"The change log already holds sequence number {entry.Sequence}.");
        }

        return WriteAtomicallyAsync(NameOf(LogPrefix, entry.Sequence), entry.Data, cancellationToken);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach ((long sequence, string path) in Files(LogPrefix).Where(f => f.Sequence > afterSequence).OrderBy(f => f.Sequence).ToList())
        {
            yield return new SealedIndexBlob(sequence, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
        }
    }

    private static string NameOf(string prefix, long sequence) => prefix + sequence.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    private IEnumerable<(long Sequence, string Path)> Files(string prefix)
    {
        foreach (string path in Directory.EnumerateFiles(_directory, prefix + "*" + Extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (long.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
            {
                yield return (sequence, path);
            }
        }
    }

    private async Task WriteAtomicallyAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        string temporary = Path.Combine(_directory, name + ".tmp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path.Combine(_directory, name), overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
