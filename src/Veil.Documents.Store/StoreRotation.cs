using System.Diagnostics;
using System.Linq.Expressions;
using System.Numerics.Tensors;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.VectorData;
using Veil.Fields;
using Veil.Keys;
using Veil.Stores.Postgres;
using Veil.Vectors;

namespace Veil.Documents.Store;

/// <summary>
/// Re-encrypts a collection of <see cref="VeilDocument"/>s to the current secrets, a batch at a time: the rows left
/// are those whose paired ICL info or category starts with the in-rotation key-id header, or whose metadata document
/// starts with the EDEK header of a standard secret other than the primary one (all found by a prefix filter in the
/// store). Each batch is written in one upsert (one transaction), so a crash leaves every row either old or new, and
/// a re-run finds exactly the rows still left: the rows themselves are the checkpoint (no separate progress record
/// that could disagree with them). Batches are paged by id (keyset), so a run reads each row once.
/// </summary>
/// <remarks>
/// <para>
/// Three stages overlap: one task reads the pages, one re-encrypts them (over every core), and the caller's task
/// writes them in order, one transaction each, so the store's read of a page, the client's crypto on the one before
/// and the store's write of the one before that run at once.
/// </para>
/// <para>
/// Vectors are rotated lossily (<see cref="VectorOperations.RotateBatch"/>: decrypted and re-encrypted in one step): the
/// record keeps no standard-encrypted copy of the plaintext. The drift, the relative L2 change of the decrypted vector
/// ‖new − old‖ / ‖old‖, is measured on a sample (every <see cref="DriftSampleInterval"/>-th vector of a page, the first
/// included) by decrypting the old and the new ciphertext: this is also the check that what is written decrypts under
/// the current secret; a sampled vector that does not fails its whole page (left as it was, counted as failed), since
/// every vector of the page was encrypted with the same key.
/// </para>
/// <para>
/// On PostgreSQL, the counts are <c>count(*)</c> queries, and a rotation of at least <see cref="BulkRows"/> rows of an
/// ordinary table nothing refers to (<see cref="PostgresCollection{TKey, TRecord}.CanRewriteAsync"/>) is a
/// rewrite (<see cref="PostgresCollection{TKey, TRecord}.BeginRewriteAsync"/>): every row, rotated or not (a row that
/// fails is copied as it was), is appended page by page with one binary <c>COPY</c> into a new table with no index, the
/// checkpoint of that path (a re-run resumes after its last key); at the end the new table gets its primary key and HNSW
/// index and replaces the collection's table in one transaction, with the writes made to the old table meanwhile
/// carried over. Readers see the old table, with its index, until then.
/// </para>
/// </remarks>
/// <param name="rows">The collection as stored (<see cref="DocumentStore.Plain(CollectionManifest)"/>): rotation reads and writes ciphertexts.</param>
/// <param name="client">The keys: the current secrets encrypt, the in-rotation ones decrypt.</param>
/// <param name="manifest">The collection's manifest (its secret and derivation paths).</param>
/// <param name="tenant">The tenant the collection was ingested for.</param>
/// <param name="progress">Rows re-encrypted or tried so far, out of the rows left at the start; null for none.</param>
public sealed class StoreRotation(VectorStoreCollection<string, VeilDocument> rows, VeilClient client, CollectionManifest manifest, TenantId tenant, IProgress<StoreProgress>? progress = null)
{
    /// <summary>Rows left from which a rotation on PostgreSQL drops the HNSW indexes and builds them once at the end.</summary>
    public const int BulkRows = 10_000;

    /// <summary>One vector in this many of each page (the first included) has its drift measured and its new ciphertext decrypted as a check.</summary>
    public const int DriftSampleInterval = 32;

    /// <summary>Pages held between two stages (read and not yet re-encrypted, re-encrypted and not yet written).</summary>
    private const int PagesAhead = 2;

    private static readonly DerivationPath s_categoryDerivationPath = new DerivationPath(nameof(VeilDocument.Category));
    private static readonly MethodInfo s_idAfter = typeof(StoreRotation).GetMethod(nameof(IdAfter), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly SecretPath _secretPath = new SecretPath(manifest.VectorSecretPath);
    private readonly DerivationPath _vectorDerivationPath = new DerivationPath(manifest.VectorDerivationPath);

    /// <summary>Called with the batch number (from 1) after a batch is re-encrypted in memory and before it is written: a test's crash point.</summary>
    internal static AsyncLocal<Action<int>?> BeforeWriteForTests { get; } = new();

    /// <summary>A test's lower <see cref="BulkRows"/>, so that a small collection takes the bulk path.</summary>
    internal static AsyncLocal<int?> BulkRowsForTests { get; } = new();

    /// <summary>Gets whether <see cref="RunAsync"/> (re)builds the PostgreSQL indexes at the end; false when the caller builds them later.</summary>
    internal bool BuildIndexes { get; init; } = true;

    /// <summary>Rotates every row left, <paramref name="batchSize"/> rows per transaction.</summary>
    /// <param name="batchSize">Rows re-encrypted and written per transaction (at least 1).</param>
    /// <param name="cancellationToken">Cancels between batches; the batches written stay.</param>
    /// <returns>What was rotated, already current or failed, the drift, and where the time went.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is less than 1.</exception>
    public async Task<RotationSummary> RunAsync(int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        KeyIdPrefixes prefixes = FindPrefixes();
        Expression<Func<VeilDocument, bool>> left = prefixes.Filter();
        var postgres = rows as PostgresCollection<string, VeilDocument>;
        bool rewrite = postgres is not null && await postgres.RewriteExistsAsync(cancellationToken).ConfigureAwait(false);
        long leftAtStart = rewrite ? 0 : await KeyIdPrefixes.CountAsync(rows, left, cancellationToken).ConfigureAwait(false);
        string? after = null;
        if (postgres is not null && (rewrite || (leftAtStart >= (BulkRowsForTests.Value ?? BulkRows) && await postgres.CanRewriteAsync(cancellationToken).ConfigureAwait(false))))
        {
            // Many rows: every row is copied, rotated or not, into a new table swapped in at the end (or the copy an
            // interrupted run began is resumed after its last key). Rewriting this many vectors in place costs an upsert
            // and, through a live HNSW index, a graph update per row; measured in docs/scale.md.
            PostgresRewrite<string> begun = await postgres.BeginRewriteAsync(cancellationToken).ConfigureAwait(false);
            rewrite = true;
            after = begun.Rows > 0 ? begun.LastKey : null;
            leftAtStart = await KeyIdPrefixes.CountAsync(rows, After(left, after), cancellationToken).ConfigureAwait(false);
        }

        long total = await KeyIdPrefixes.CountAsync(rows, d => true, cancellationToken).ConfigureAwait(false);
        progress?.Report(new StoreProgress(0, leftAtStart));
        var summary = new RotationSummary { AlreadyCurrent = total - leftAtStart };

        // Three stages: a background task reads page after page (keyset pagination: each starts after the last id of the
        // one before, through the key's index, so each row is read once), a second re-encrypts each page (in parallel
        // over the cores), and this one writes the pages in order, one transaction each. The rows themselves stay the
        // checkpoint: a page read ahead but not written is still under the old keys, and a re-run finds it again.
        var read = Channel.CreateBounded<List<VeilDocument>>(new BoundedChannelOptions(PagesAhead) { SingleReader = true, SingleWriter = true });
        var rotated = Channel.CreateBounded<RotatedPage>(new BoundedChannelOptions(PagesAhead) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Expression<Func<VeilDocument, bool>> toRead = rewrite ? d => true : left;
        Task reader = Task.Run(() => ReadAsync(read.Writer, toRead, after, batchSize, summary, stop.Token), CancellationToken.None);
        Task rotator = Task.Run(() => RotateAsync(read.Reader, rotated.Writer, prefixes, rewrite, summary, stop.Token), CancellationToken.None);
        try
        {
            int batchNumber = 0;
            await foreach (RotatedPage page in rotated.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                BeforeWriteForTests.Value?.Invoke(++batchNumber);
                long start = Stopwatch.GetTimestamp();
                await (rewrite ? postgres!.AppendRewriteAsync(page.Rows, cancellationToken) : rows.UpsertAsync(page.Rows, cancellationToken)).ConfigureAwait(false);
                summary.WriteTime += Stopwatch.GetElapsedTime(start);
                summary.Rotated += page.Rotated;
                summary.Failed += page.Failed;
                summary.AddVectors(page.VectorsRotated, page.Drifts);
                progress?.Report(new StoreProgress(summary.Rotated + summary.Failed, leftAtStart));
            }
        }
        finally
        {
            stop.Cancel();
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await rotator.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (postgres is not null && BuildIndexes)
        {
            long start = Stopwatch.GetTimestamp();
            await FinishAsync(postgres, cancellationToken).ConfigureAwait(false);
            summary.IndexBuildTime = Stopwatch.GetElapsedTime(start);
        }

        return summary;
    }

    /// <summary>
    /// Completes what a rotation of a PostgreSQL collection left to do at the end: swaps in the rewrite's new table with
    /// its indexes (<see cref="PostgresCollection{TKey, TRecord}.CompleteRewriteAsync"/>) or, after a rotation in place,
    /// creates the HNSW indexes if they are missing (a collection rotated by an older version may have them dropped).
    /// </summary>
    internal static async Task FinishAsync(PostgresCollection<string, VeilDocument> postgres, CancellationToken cancellationToken)
    {
        if (!await postgres.CompleteRewriteAsync(cancellationToken).ConfigureAwait(false))
        {
            await postgres.CreateIndexesAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the rows <paramref name="left"/> after <paramref name="after"/> page by page in key order; completes <paramref name="pages"/> (with the failure, if any).</summary>
    private async Task ReadAsync(
        ChannelWriter<List<VeilDocument>> pages, Expression<Func<VeilDocument, bool>> left, string? after, int batchSize, RotationSummary summary, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            var options = new FilteredRecordRetrievalOptions<VeilDocument>
            {
                OrderBy = order => order.Ascending(d => d.Id),
                IncludeVectors = true,
            };
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                var batch = new List<VeilDocument>(batchSize);
                await foreach (VeilDocument row in rows.GetAsync(After(left, after), batchSize, options, cancellationToken).ConfigureAwait(false))
                {
                    batch.Add(row);
                }

                summary.ReadTime += Stopwatch.GetElapsedTime(start);
                if (batch.Count == 0)
                {
                    break;
                }

                after = batch[^1].Id;
                await pages.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            pages.TryComplete(failure);
        }
    }

    /// <summary>Re-encrypts each page read and hands it to the writer; completes <paramref name="rotated"/> (with the failure, if any).</summary>
    private async Task RotateAsync(
        ChannelReader<List<VeilDocument>> pages, ChannelWriter<RotatedPage> rotated, KeyIdPrefixes prefixes, bool keepAll, RotationSummary summary, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            await foreach (List<VeilDocument> batch in pages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                long start = Stopwatch.GetTimestamp();
                RotatedPage page = Rotate(batch, prefixes, keepAll);
                summary.ReencryptTime += Stopwatch.GetElapsedTime(start);
                await rotated.WriteAsync(page, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            rotated.TryComplete(failure);
        }
    }

    /// <summary><paramref name="left"/> restricted to ids after <paramref name="id"/> (all of them when null).</summary>
    /// <remarks>
    /// SQL stores evaluate the comparison in the database, with the collation their <c>ORDER BY</c> uses, so the pages
    /// follow one another exactly; <see cref="IdAfter"/> is only the expression's typed stand-in.
    /// </remarks>
    private static Expression<Func<VeilDocument, bool>> After(Expression<Func<VeilDocument, bool>> left, string? id)
    {
        if (id is null)
        {
            return left;
        }

        ParameterExpression row = left.Parameters[0];
        BinaryExpression greater = Expression.GreaterThan(
            Expression.Property(row, nameof(VeilDocument.Id)), Expression.Constant(id), liftToNull: false, s_idAfter);
        return Expression.Lambda<Func<VeilDocument, bool>>(Expression.AndAlso(left.Body, greater), row);
    }

    private static bool IdAfter(string id, string other) => string.CompareOrdinal(id, other) > 0;

    private KeyIdPrefixes FindPrefixes()
    {
        VeilConfiguration configuration = client.Configuration;
        // A sealed collection has no vector secret (its vectors are re-sealed by ResealAsync).
        byte[]? vector = configuration.Vector.TryGetValue(_secretPath, out VectorSecret? vectorSecret) && vectorSecret.Secrets.InRotation is not null
            ? client.Vector.GetInRotationPrefix(_secretPath) : null;
        byte[]? category = configuration.Deterministic[_secretPath].InRotation is null
            ? null
            : client.Deterministic.GetInRotationPrefix(_secretPath, s_categoryDerivationPath, tenant);
        StandardSecrets standard = configuration.Standard!;
        byte[][] fields = standard.Secrets.Where(s => s.Id != standard.PrimaryId).Select(s => client.StandardAttached.GetSearchableEdekPrefix(s.Id)).ToArray();
        return new KeyIdPrefixes(vector, category, fields);
    }

    /// <summary>
    /// Re-encrypts what each row needs; a row with any part that fails is left out, or with <paramref name="keepAll"/>
    /// (a rewrite into a new table, which must receive every row) kept as it was, as are the rows that need nothing.
    /// </summary>
    private RotatedPage Rotate(List<VeilDocument> batch, KeyIdPrefixes prefixes, bool keepAll)
    {
        var failed = new bool[batch.Count];
        var copies = batch.Select(r => new VeilDocument { Id = r.Id, Category = r.Category, Fields = r.Fields, EmbeddingInfo = r.EmbeddingInfo, Embedding = r.Embedding, SealedEmbedding = r.SealedEmbedding, SealedEmbeddingText = r.SealedEmbeddingText }).ToList();

        // Vectors (lossy): one decryption and one encryption each, in one step.
        List<int> vectorRows = RowsStartingWith(batch, r => r.EmbeddingInfo, prefixes.Vector);
        var vectors = vectorRows.Select(i => new EncryptedVector(batch[i].Embedding ?? ReadOnlyMemory<float>.Empty, Convert.FromBase64String(batch[i].EmbeddingInfo!), _secretPath, _vectorDerivationPath)).ToList();
        BatchResult<EncryptedVector> rotated = client.Vector.RotateBatch(vectors, tenant);
        for (int k = 0; k < vectors.Count; k++)
        {
            if (rotated[k].Value is { } result)
            {
                copies[vectorRows[k]].Embedding = result.Ciphertext;
                copies[vectorRows[k]].EmbeddingInfo = Convert.ToBase64String(result.PairedIclInfo.Span);
            }
            else
            {
                failed[vectorRows[k]] = true;
            }
        }

        // The drift and the check, on a sample (a sampled vector whose new ciphertext does not decrypt fails the page, below).
        int[] sample = Enumerable.Range(0, vectors.Count).Where(k => k % DriftSampleInterval == 0 && rotated[k].IsSuccess).ToArray();
        (List<double> drifts, bool sampleDecrypts) = MeasureDrift(sample.Select(k => vectors[k]).ToList(), sample.Select(k => rotated[k].Value!).ToList());

        // The deterministic category.
        List<int> categoryRows = RowsStartingWith(batch, r => r.Category, prefixes.Category);
        BatchResult<EncryptedField> categories = client.Deterministic.RotateFields(
            categoryRows.Select(i => new EncryptedField(Convert.FromBase64String(batch[i].Category!), _secretPath, s_categoryDerivationPath)).ToList(), tenant);
        Apply(categoryRows, categories, failed, (i, field) => copies[i].Category = Convert.ToBase64String(field.Ciphertext));

        // The standard-encrypted metadata: only its EDEK is re-wrapped.
        List<int> fieldRows = RowsStartingWith(batch, r => r.Fields, prefixes.Fields);
        BatchResult<byte[]> fields = client.StandardAttached.RekeyDocuments(fieldRows.Select(i => Convert.FromBase64String(batch[i].Fields!)).ToList(), tenant, newTenant: null);
        Apply(fieldRows, fields, failed, (i, document) => copies[i].Fields = Convert.ToBase64String(document));

        // A sampled vector that does not decrypt fails every row of the page it touched (the vectors share one key).
        var touched = new bool[batch.Count];
        foreach (int i in vectorRows.Concat(categoryRows).Concat(fieldRows))
        {
            touched[i] = true;
            failed[i] |= !sampleDecrypts;
        }

        int vectorsRotated = vectorRows.Count(i => !failed[i]);
        int rotatedRows = Enumerable.Range(0, batch.Count).Count(i => touched[i] && !failed[i]);
        List<VeilDocument> written = keepAll
            ? copies.Select((copy, i) => failed[i] ? batch[i] : copy).ToList()
            : copies.Where((_, i) => !failed[i]).ToList();
        return new RotatedPage(written, rotatedRows, failed.Count(f => f), vectorsRotated, sampleDecrypts ? drifts : []);
    }

    /// <summary>The relative L2 drift of each sampled vector, and whether every new ciphertext decrypts.</summary>
    private (List<double> Drifts, bool AllDecrypt) MeasureDrift(List<EncryptedVector> before, List<EncryptedVector> after)
    {
        BatchResult<float[]> old = client.Vector.DecryptBatch(before, tenant);
        BatchResult<float[]> now = client.Vector.DecryptBatch(after, tenant);
        var drifts = new List<double>(before.Count);
        bool allDecrypt = true;
        for (int k = 0; k < before.Count; k++)
        {
            if (now[k].Value is not { } current)
            {
                allDecrypt = false;
            }
            else if (old[k].Value is { } previous)
            {
                drifts.Add(TensorPrimitives.Distance(current, previous) / Math.Max(TensorPrimitives.Norm(previous), float.Epsilon));
            }
        }

        // The decrypted vectors were only needed for the drift.
        foreach (float[]? plaintext in old.Select(b => b.Value).Concat(now.Select(a => a.Value)))
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(plaintext.AsSpan()));
        }

        return (drifts, allDecrypt);
    }

    private static void Apply<T>(List<int> rowIndexes, BatchResult<T> results, bool[] failed, Action<int, T> set)
    {
        for (int k = 0; k < rowIndexes.Count; k++)
        {
            if (results[k].IsSuccess)
            {
                set(rowIndexes[k], results[k].Value!);
            }
            else
            {
                failed[rowIndexes[k]] = true;
            }
        }
    }

    private static List<int> RowsStartingWith(List<VeilDocument> batch, Func<VeilDocument, string?> value, params byte[]?[] prefixes)
    {
        string[] texts = prefixes.OfType<byte[]>().Select(Convert.ToBase64String).ToArray();
        return Enumerable.Range(0, batch.Count).Where(i => value(batch[i]) is { } text && texts.Any(p => text.StartsWith(p, StringComparison.Ordinal))).ToList();
    }
}

/// <summary>A page of rows re-encrypted and ready to write.</summary>
/// <param name="Rows">The rows to write: those re-encrypted or, in a rewrite into a new table, every row read.</param>
/// <param name="Rotated">The rows re-encrypted.</param>
/// <param name="Failed">The rows that needed re-encrypting and could not be (left as they were).</param>
/// <param name="VectorsRotated">The vectors re-encrypted among <paramref name="Rows"/>.</param>
/// <param name="Drifts">The relative L2 drift of each sampled vector.</param>
internal sealed record RotatedPage(List<VeilDocument> Rows, int Rotated, int Failed, int VectorsRotated, List<double> Drifts);

/// <summary>What a rotation did: rows rotated, already current and failed, and the drift of the rotated vectors.</summary>
public sealed class RotationSummary
{
    private double _driftSum;

    /// <summary>Gets the rows re-encrypted and written.</summary>
    public long Rotated { get; internal set; }

    /// <summary>Gets the rows that needed nothing.</summary>
    public long AlreadyCurrent { get; internal set; }

    /// <summary>Gets the sealed vectors re-sealed under the primary standard secret (sealed collections only).</summary>
    public long Resealed { get; internal set; }

    /// <summary>Gets the rows that could not be re-encrypted (left as they were; a re-run retries them).</summary>
    public long Failed { get; internal set; }

    /// <summary>Gets the vectors re-encrypted and written.</summary>
    public long VectorsRotated { get; private set; }

    /// <summary>Gets the vectors whose drift was measured (a sample of <see cref="VectorsRotated"/>: one in <see cref="StoreRotation.DriftSampleInterval"/> per page, the first included).</summary>
    public long VectorsMeasured { get; private set; }

    /// <summary>Gets the time spent (re)building the collection's vector index at the end (PostgreSQL; zero elsewhere).</summary>
    public TimeSpan IndexBuildTime { get; internal set; }

    /// <summary>Gets the time the reading stage spent waiting for the store's pages (overlaps the other stages).</summary>
    public TimeSpan ReadTime { get; internal set; }

    /// <summary>Gets the time the re-encryption stage spent on the client's crypto (overlaps the other stages).</summary>
    public TimeSpan ReencryptTime { get; internal set; }

    /// <summary>Gets the time the writing stage spent in the store's upserts (overlaps the other stages).</summary>
    public TimeSpan WriteTime { get; internal set; }

    /// <summary>Mean relative L2 change of the decrypted vectors measured (0 when none was).</summary>
    public double MeanDrift => VectorsMeasured == 0 ? 0 : _driftSum / VectorsMeasured;

    /// <summary>Largest relative L2 change measured.</summary>
    public double MaxDrift { get; private set; }

    /// <summary>
    /// Writes the summary as one JSON object (what <c>veil rotate</c> prints): <c>rotated</c>, <c>alreadyCurrent</c>,
    /// <c>failed</c>, <c>vectorsRotated</c>, <c>vectorsResealed</c>, <c>vectorsMeasured</c> (the drift's sample),
    /// <c>meanRelativeDrift</c> and <c>maxRelativeDrift</c>.
    /// </summary>
    /// <param name="writer">Where to write it.</param>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("rotated", Rotated);
        writer.WriteNumber("alreadyCurrent", AlreadyCurrent);
        writer.WriteNumber("failed", Failed);
        writer.WriteNumber("vectorsRotated", VectorsRotated);
        writer.WriteNumber("vectorsResealed", Resealed);
        writer.WriteNumber("vectorsMeasured", VectorsMeasured);
        writer.WriteNumber("meanRelativeDrift", MeanDrift);
        writer.WriteNumber("maxRelativeDrift", MaxDrift);
        writer.WriteEndObject();
    }

    /// <summary>One line for people: how many rows rotated, were already current and failed.</summary>
    /// <returns>The line.</returns>
    public override string ToString() =>
        $"{Rotated} rotated, {AlreadyCurrent} already current, {Failed} failed{(Failed == 0 ? "." : " (left as they were; a re-run retries them).")}";

    internal void AddVectors(int rotated, IEnumerable<double> relativeChanges)
    {
        VectorsRotated += rotated;
        foreach (double relativeChange in relativeChanges)
        {
            VectorsMeasured++;
            _driftSum += relativeChange;
            MaxDrift = Math.Max(MaxDrift, relativeChange);
        }
    }
}
