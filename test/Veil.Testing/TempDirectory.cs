// Shared by the test projects (through test/Veil.Testing). WriteParquet uses DuckDB.NET.
namespace Veil.Testing;

/// <summary>A directory of its own under the temporary path, deleted with its files.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"veil-test-{Guid.NewGuid():N}");

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes the rows of <paramref name="select"/> to a new Parquet file here, with DuckDB; returns its path.</summary>
    public string WriteParquet(string select)
    {
        string path = File($"input-{Guid.NewGuid():N}.parquet");
        using var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"COPY ({select}) TO '{path}' (FORMAT parquet)";
        command.ExecuteNonQuery();
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
