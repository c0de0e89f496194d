namespace Veil.Cli.Demo;

/// <summary>The options of <c>veil demo</c>.</summary>
internal sealed record DemoSettings(int Count, int Dimensions, float Beta, int Seed, int Queries, int Clusters)
{
    /// <summary>How many neighbours recall is measured over.</summary>
    public const int K = 10;

    /// <summary>How many candidates re-ranking fetches by encrypted distance before decrypting.</summary>
    public const int OverFetch = 100;

    /// <exception cref="CliUsageException">An option is out of range.</exception>
    public void Validate()
    {
        if (Count < K || Count > 10_000_000)
        {
            throw new CliUsageException($"Invalid options: --count must be from {K} to 10000000.");
        }

        if (Dimensions is < 2 or > 65_536)
        {
            throw new CliUsageException("Invalid options: --dimensions must be from 2 to 65536.");
        }

        if (!float.IsFinite(Beta) || Beta <= 0f)
        {
            throw new CliUsageException("Invalid options: --beta must be a finite number greater than zero.");
        }

        if (Queries is < 1 or > 100_000)
        {
            throw new CliUsageException("Invalid options: --queries must be from 1 to 100000.");
        }

        if (Clusters is < 1 or > 20)
        {
            throw new CliUsageException("Invalid options: --clusters must be from 1 to 20.");
        }

        if ((long)Count * Dimensions > 1L << 28)
        {
            throw new CliUsageException("Invalid options: --count × --dimensions must be at most 268435456 (the demo keeps everything in memory).");
        }
    }
}
