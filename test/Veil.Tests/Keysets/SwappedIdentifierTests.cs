using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Veil.Tests.Keysets;

/// <summary>
/// <see cref="Veil.Keys.SecretPath"/>, <see cref="Veil.Keys.DerivationPath"/> and <see cref="Veil.Keys.TenantId"/> do not
/// convert from <see cref="string"/>: a call with the identifiers swapped must fail to compile rather than silently use
/// another tenant's key. Compiles snippets against the Veil assembly and reads the diagnostics.
/// </summary>
public class SwappedIdentifierTests
{
    private const string Usings = "using Veil; using Veil.Keys; using Veil.Vectors;\n";

    [Fact]
    public void Encrypt_WithStringsInSwappedOrder_DoesNotCompile()
    {
        List<Diagnostic> errors = CompileErrors(
            """client.Vector.Encrypt(v, "tenant-42", "minilm", "embeddings");""");

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("CS1503", e.Id));
        Assert.Contains(errors, e => e.GetMessage().Contains("'string' to 'Veil.Keys.SecretPath'", StringComparison.Ordinal));
    }

    [Fact]
    public void Encrypt_WithTypedIdentifiers_Compiles()
    {
        List<Diagnostic> errors = CompileErrors(
            """client.Vector.Encrypt(v, new SecretPath("embeddings"), new DerivationPath("minilm"), new TenantId("tenant-42"));""");

        Assert.Empty(errors);
    }

    [Fact]
    public void Encrypt_WithTypedIdentifiersInSwappedOrder_DoesNotCompile()
    {
        List<Diagnostic> errors = CompileErrors(
            """client.Vector.Encrypt(v, new TenantId("tenant-42"), new DerivationPath("minilm"), new SecretPath("embeddings"));""");

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("CS1503", e.Id));
    }

    [Theory]
    [InlineData("SecretPath")]
    [InlineData("DerivationPath")]
    [InlineData("TenantId")]
    public void Identifier_AssignedFromString_DoesNotCompile(string type)
    {
        List<Diagnostic> errors = CompileErrors($"""{type} id = "acme"; _ = id;""");

        Assert.Equal("CS0029", Assert.Single(errors).Id);
    }

    private static List<Diagnostic> CompileErrors(string statements)
    {
        string source = Usings + "static class Probe { static void Run(VeilClient client, float[] v) { " + statements + " } }";
        CSharpCompilation compilation = CSharpCompilation.Create(
            "SwappedIdentifierProbe",
            [CSharpSyntaxTree.ParseText(source)],
            References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    }

    private static IEnumerable<MetadataReference> References()
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Append(typeof(VeilClient).Assembly.Location)
            .Distinct(StringComparer.Ordinal)
            .Select(path => MetadataReference.CreateFromFile(path));
    }
}
