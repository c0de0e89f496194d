using Microsoft.Extensions.VectorData;

namespace Veil.Sealed;

/// <summary>
/// <see cref="VectorSearchOptions{TRecord}"/> with the sealed collection's per-search settings; pass it where MEVD takes
/// the options (other collections read it as plain <see cref="VectorSearchOptions{TRecord}"/>).
/// </summary>
/// <typeparam name="TRecord">The record type.</typeparam>
public sealed class SealedVectorSearchOptions<TRecord> : VectorSearchOptions<TRecord>
{
    private int? _efSearch;

    /// <summary>
    /// Gets or sets the beam width of the key holder's graph search for this search only, overriding
    /// <see cref="SealedIndexOptions.EfSearch"/> and its default rule (<see cref="SealedIndexOptions.DefaultEfSearchFor"/>);
    /// null keeps the index's. It is raised to the number of candidates (K′) when smaller. A wider beam finds more of
    /// the true neighbours among the K′ candidates at the cost of key-holder CPU time; the store sees the same K′ rows
    /// fetched either way.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int? EfSearch
    {
        get => _efSearch;
        set
        {
            if (value is { } efSearch)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(efSearch, 1);
            }

            _efSearch = value;
        }
    }
}
