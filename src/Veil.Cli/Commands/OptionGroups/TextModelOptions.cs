using Veil.Embeddings.Onnx;

namespace Veil.Cli.Commands.OptionGroups;

/// <summary>The embedding model of a command that embeds text: <paramref name="name"/> (a BERT-style ONNX file) with --vocab, else the add-on (<see cref="TextModel"/>).</summary>
internal sealed class TextModelOptions(string name = "--model", string usage = "")
{
    internal readonly Option<string> Model = Opt<string>(name, usage + TextModel.ModelDescription);
    internal readonly Option<string> Vocabulary = Opt<string>("--vocab", $"With {name}: the model's WordPiece vocab.txt.");

    public void AddTo(Command command) => command.Add(Model, Vocabulary);

    /// <summary>Whether the model files (or either of them) were given.</summary>
    public bool IsGiven(ParseResult parseResult) => (parseResult.GetValue(Model) ?? parseResult.GetValue(Vocabulary)) is not null;

    /// <summary>Opens the files when given, else the add-on (<see cref="TextModel.Open"/>).</summary>
    public OnnxEmbeddingGenerator Open(ParseResult parseResult) => TextModel.Open(parseResult.GetValue(Model), parseResult.GetValue(Vocabulary));

    /// <summary>Opens the model (<see cref="Open"/>) when <paramref name="wanted"/>; otherwise null, and the files must not be given.</summary>
    /// <exception cref="CliUsageException">The files are given though not wanted: they go with <paramref name="with"/>.</exception>
    public OnnxEmbeddingGenerator? OpenIf(ParseResult parseResult, bool wanted, string with) =>
        wanted ? Open(parseResult)
        : IsGiven(parseResult) ? throw new CliUsageException($"Invalid options: {Model.Name} and {Vocabulary.Name} go with {with}.")
        : null;
}
