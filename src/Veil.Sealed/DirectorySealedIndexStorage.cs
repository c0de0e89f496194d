using System.Globalization;
using System.Runtime.CompilerServices;

namespace Veil.Sealed;

/// <summary>
/// An <see cref="ISealedIndexStorage"/> in a directory: <c>snapshot-{sequence}/chunk-{n}.sealed</c>, one
/// <c>log-{sequence}.sealed</c> file per change-log entry and <c>record-{name}.sealed</c> per named record. Every file
/// is written to a temporary name, flushed to disk and renamed, so a crash leaves either the old or the new file, never
/// half of one; a snapshot's chunks are written into a staging directory that is renamed into place once all are on disk.
/// </summary>
public sealed class DirectorySealedIndexStorage : ISealedIndexStorage
{
    private const string SnapshotPrefix = "snapshot-";
    private const string LogPrefix = "log-";
    private const string RecordPrefix = "record-";
    private const string ChunkPrefix = "chunk-";
    private const string Extension = ".sealed";
    private const string Staging = ".tmp-";

    private readonly string _directory;

    /// <summary>Uses <paramref name="directory"/> (created if missing).</summary>
    public DirectorySealedIndexStorage(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>Called at each step of a snapshot write ("chunk", "published", "dropped"); tests throw from it to simulate a crash.</summary>
    internal Action<string>? OnStep { get; set; }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadSnapshotAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        (long Sequence, string Path)? latest = Snapshots().OrderByDescending(f => f.Sequence).Cast<(long, string)?>().FirstOrDefault();
        if (latest is not { } snapshot)
        {
            yield break;
        }

        foreach (string chunk in Directory.GetFiles(snapshot.Path, ChunkPrefix + "*" + Extension).Order(StringComparer.Ordinal))
        {
            yield return new SealedIndexBlob(snapshot.Sequence, await File.ReadAllBytesAsync(chunk, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <inheritdoc/>
    public async Task WriteSnapshotAsync(long sequence, IAsyncEnumerable<ReadOnlyMemory<byte>> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ThrowIfSnapshotAtOrAfter(sequence);
        foreach (string stale in Directory.GetDirectories(_directory, SnapshotPrefix + "*" + Staging + "*"))
        {
            Directory.Delete(stale, recursive: true);
        }

        string final = Path.Combine(_directory, NameOf(SnapshotPrefix, sequence, string.Empty));
        string staging = final + Staging + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(staging);
        try
        {
            int index = 0;
            await foreach (ReadOnlyMemory<byte> chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await WriteFileAsync(Path.Combine(staging, ChunkPrefix + index.ToString("D10", CultureInfo.InvariantCulture) + Extension), chunk, cancellationToken).ConfigureAwait(false);
                index++;
                OnStep?.Invoke("chunk");
            }

            ThrowIfSnapshotAtOrAfter(sequence);
            try
            {
                Directory.Move(staging, final);
            }
            catch (IOException e) when (Directory.Exists(final))
            {
                throw new SealedIndexConflictException($"A snapshot at sequence number {sequence} exists: another writer.", e);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        OnStep?.Invoke("published");
        foreach ((long _, string path) in Snapshots().Where(f => f.Sequence < sequence))
        {
            Directory.Delete(path, recursive: true);
            OnStep?.Invoke("dropped");
        }

        foreach ((long _, string path) in Files(LogPrefix).Where(f => f.Sequence <= sequence))
        {
            File.Delete(path);
            OnStep?.Invoke("dropped");
        }
    }

    /// <inheritdoc/>
    public async Task AppendAsync(SealedIndexBlob entry, CancellationToken cancellationToken = default)
    {
        if (Snapshots().Any(s => s.Sequence >= entry.Sequence))
        {
            throw new SealedIndexConflictException($"A snapshot covers sequence number {entry.Sequence}: another writer.");
        }

        string final = Path.Combine(_directory, NameOf(LogPrefix, entry.Sequence, Extension));
        string temporary = final + Staging + Guid.NewGuid().ToString("N");
        try
        {
            await WriteFileAsync(temporary, entry.Data, cancellationToken).ConfigureAwait(false);
            try
            {
                File.Move(temporary, final, overwrite: false);
            }
            catch (IOException e) when (File.Exists(final))
            {
                throw new SealedIndexConflictException($"The change log already holds sequence number {entry.Sequence}: another writer.", e);
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<SealedIndexBlob> ReadLogAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach ((long sequence, string path) in Files(LogPrefix).Where(f => f.Sequence > afterSequence).OrderBy(f => f.Sequence).ToList())
        {
            yield return new SealedIndexBlob(sequence, await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <inheritdoc/>
    public async Task<byte[]?> ReadRecordAsync(string name, CancellationToken cancellationToken = default)
    {
        SealedRecordNames.Check(name);
        string path = Path.Combine(_directory, RecordPrefix + name + Extension);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task WriteRecordAsync(string name, ReadOnlyMemory<byte>? data, CancellationToken cancellationToken = default)
    {
        SealedRecordNames.Check(name);
        string final = Path.Combine(_directory, RecordPrefix + name + Extension);
        if (data is not { } bytes)
        {
            File.Delete(final);
            return;
        }

        string temporary = final + Staging + Guid.NewGuid().ToString("N");
        try
        {
            await WriteFileAsync(temporary, bytes, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, final, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string NameOf(string prefix, long sequence, string extension) => prefix + sequence.ToString("D20", CultureInfo.InvariantCulture) + extension;

    private static async Task WriteFileAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
        {
            await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
    }

    private void ThrowIfSnapshotAtOrAfter(long sequence)
    {
        if (Snapshots().Any(s => s.Sequence >= sequence))
        {
            throw new SealedIndexConflictException($"A snapshot at or after sequence number {sequence} exists: another writer.");
        }
    }

    private IEnumerable<(long Sequence, string Path)> Snapshots()
    {
        foreach (string path in Directory.EnumerateDirectories(_directory, SnapshotPrefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (long.TryParse(name.AsSpan(SnapshotPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
            {
                yield return (sequence, path);
            }
        }
    }

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
}
