using Microsoft.Extensions.VectorData;

namespace Veil.Stores.Postgres;

/// <summary>
/// <see cref="VectorSearchOptions{TRecord}"/> with the PostgreSQL store's per-search settings; pass it where MEVD takes
/// the options (other stores read it as plain <see cref="VectorSearchOptions{TRecord}"/>).
/// </summary>
/// <typeparam name="TRecord">The record type.</typeparam>
public sealed class PostgresVectorSearchOptions<TRecord> : VectorSearchOptions<TRecord>
{
    private int? _efSearch;

    /// <summary>
    /// Gets or sets the HNSW <c>ef_search</c> of this search only (applied with <c>SET LOCAL</c> in its transaction),
    /// overriding <see cref="PostgresCollection{TKey, TRecord}.EfSearch"/>; null keeps the collection's. Like the
    /// collection's, it is raised to top + skip when smaller, since an HNSW scan returns at most <c>ef_search</c> rows.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1–1000.</exception>
    public int? EfSearch
    {
        get => _efSearch;
        set
        {
            if (value is { } efSearch)
            {
                PostgresCollectionOptions.ValidateEfSearch(efSearch);
            }

            _efSearch = value;
        }
    }
}
