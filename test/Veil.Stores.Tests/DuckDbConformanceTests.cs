using Microsoft.Extensions.VectorData;
using Veil.Stores.DuckDb;
using Veil.Stores.Tests.Conformance;

namespace Veil.Stores.Tests;

/// <summary>A DuckDB store in a temporary database file, shared by one test class and deleted afterwards.</summary>
public sealed class DuckDbFileStoreFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("veil-duckdb-").FullName;

    public DuckDbFileStoreFixture()
    {
        Path = System.IO.Path.Combine(_directory, "store.duckdb");
        Store = new DuckDbVectorStore(Path);
    }

    public string Path { get; }

    public DuckDbVectorStore Store { get; }

    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A DuckDB store over a private in-memory database, shared by one test class.</summary>
public sealed class DuckDbInMemoryStoreFixture : IDisposable
{
    public DuckDbVectorStore Store { get; } = DuckDbVectorStore.CreateInMemory();

    public void Dispose() => Store.Dispose();
}

/// <summary>The conformance suite against a DuckDB database file.</summary>
public sealed class DuckDbFileConformanceTests(DuckDbFileStoreFixture fixture)
    : VectorStoreConformanceTests, IClassFixture<DuckDbFileStoreFixture>
{
    protected override VectorStore Store => fixture.Store;
}

/// <summary>The conformance suite against an in-memory DuckDB database.</summary>
public sealed class DuckDbInMemoryConformanceTests(DuckDbInMemoryStoreFixture fixture)
    : VectorStoreConformanceTests, IClassFixture<DuckDbInMemoryStoreFixture>
{
    protected override VectorStore Store => fixture.Store;
}
