using System.Globalization;
using System.Runtime.CompilerServices;
using Veil.Keys;

namespace Veil.Documents.Store;

/// <content>Ingestion: reading, encrypting and storing documents in transactional batches.</content>
public sealed partial class DocumentStore
{
    /// <summary>
    /// Encrypts the documents of <paramref name="input"/> and upserts them into a collection, creating it (with the
    /// first document's dimension) when it does not exist, <see cref="IngestOptions.BatchSize"/> documents per
    /// transaction. Documents are read lazily: each transaction's documents are parsed and encrypted while the ones
    /// before them are stored. A failed ingest into a new collection removes the collection again; an ingest into an
    /// existing one keeps its committed transactions.
    /// </summary>
    /// <param name="input">The documents.</param>
    /// <param name="options">The collection, tenant and batch size.</param>
    /// <param name="client">The keys (the configuration needs the secrets <see cref="StoreConfiguration.Check"/> names).</param>
    /// <param name="progress">Documents stored so far (and in all, when the input knows); null for none.</param>
    /// <param name="cancellationToken">Cancels the ingest.</param>
    /// <returns>The collection's manifest and the documents stored.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The batch size is less than 1.</exception>
    /// <exception cref="DocumentStoreException">The collection, configuration or input cannot be used (nothing was stored).</exception>
    /// <exception cref="DocumentInputException">A document is malformed or has the wrong dimension (the transactions before it stay).</exception>
    public async Task<IngestResult> IngestAsync(
        DocumentInput input, IngestOptions options, VeilClient client, IProgress<StoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ValidateName(options.Collection);
        string name = options.Collection;
        if (options.Replace)
        {
            await DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }

        CollectionManifest? manifest = await FindManifestAsync(name, cancellationToken).ConfigureAwait(false);
        if (manifest is not null && options.SecretPath is not null && options.SecretPath != manifest.VectorSecretPath)
        {
            throw new DocumentStoreException(
                $"Invalid options: collection \"{name}\" is encrypted with secret path \"{manifest.VectorSecretPath}\", not \"{options.SecretPath}\" (use --replace to start it afresh).");
        }

        if (manifest is not null && manifest.Mode != options.Mode)
        {
            throw new DocumentStoreException(ModeMismatch(name, manifest.Mode));
        }

        SecretPath secretPath = manifest?.VectorSecretPath is { } manifestPath ? new SecretPath(manifestPath) : StoreConfiguration.ChooseSecretPath(client.Configuration, options.SecretPath, options.Mode);
        StoreConfiguration.Check(client.Configuration, secretPath, encrypting: true, options.Mode);
        if (manifest is not null)
        {
            await EnsureTenantAsync(manifest, client, options.Tenant, cancellationToken).ConfigureAwait(false);
        }

        DocumentInput.Opened opened = input.Open(Location, cancellationToken);
        if (opened.Dimensions is { } rawDimensions && manifest?.Dimensions is { } existing && existing != rawDimensions)
        {
            opened.Owned?.Dispose();
            throw new DocumentStoreException(string.Create(
                CultureInfo.InvariantCulture, $"Invalid input: the vectors have {rawDimensions} dimensions; collection \"{name}\" has {existing}."));
        }

        // Declared before the store is disposed, so a failed ingest removes the collection it created while the store is open.
        var creation = new CollectionCreation(this);
        await using ConfiguredAsyncDisposable removeUnlessComplete = creation.ConfigureAwait(false);
        using (opened.Owned)
        {
            long done = 0;
            using IEnumerator<(long Line, VeilDocument Document)> rows = opened.Rows.GetEnumerator();
            bool more = rows.MoveNext();
            if (more && manifest is null)
            {
                (long line, VeilDocument first) = rows.Current;
                int length = first.Embedding!.Value.Length;
                if (length == 0)
                {
                    throw new DocumentInputException(line, $"the vector of \"{first.Id}\" is empty", unit: opened.Unit);
                }

                manifest = new CollectionManifest
                {
                    Name = name,
                    Dimensions = length,
                    VectorSecretPath = secretPath.ToString(),
                    VectorDerivationPath = options.DerivationPath,
                    Mode = options.Mode,
                };
                await creation.CreateAsync(manifest, options.Tenant, cancellationToken).ConfigureAwait(false);
                options.CollectionCreated?.Invoke(manifest);
            }

            long stored = 0;
            IEnumerable<VeilDocument> Transaction(CollectionManifest manifest)
            {
                for (int count = 0; more && count < options.BatchSize; count++)
                {
                    (long line, VeilDocument document) = rows.Current;
                    if (document.Embedding!.Value.Length != manifest.Dimensions)
                    {
                        throw new DocumentInputException(line, string.Create(
                            CultureInfo.InvariantCulture,
                            $"the vector of \"{document.Id}\" has {document.Embedding!.Value.Length} dimensions; collection \"{name}\" has {manifest.Dimensions} ({stored} documents before it were stored)"),
                            unit: opened.Unit);
                    }

                    yield return document;
                    done++;
                    progress?.Report(new StoreProgress(done, opened.Count));
                    more = rows.MoveNext();
                }
            }

            if (more)
            {
                using DocumentAccess collection = OpenCollection(manifest!, client, options.Tenant);
                while (more)
                {
                    await collection.Collection.UpsertAsync(Transaction(manifest!), cancellationToken).ConfigureAwait(false);
                    stored = done;
                }

                await collection.PersistAsync(cancellationToken).ConfigureAwait(false);
            }

            creation.Complete();
            return new IngestResult(manifest, stored);
        }
    }

    /// <summary>The message refusing to mix modes in one collection.</summary>
    internal static string ModeMismatch(string name, CollectionMode existing) => existing == CollectionMode.Sealed
        ? $"Invalid options: collection \"{name}\" is sealed (vectors sealed, searched by the key holder's index); a collection holds one mode's documents: add --sealed to ingest into it, or use --replace to start it afresh, or another --collection."
        : $"Invalid options: collection \"{name}\" is DCPE-encrypted (Alloy-compatible); a collection holds one mode's documents: drop --sealed to ingest into it, or use --replace to start it afresh sealed, or another --collection.";
}
