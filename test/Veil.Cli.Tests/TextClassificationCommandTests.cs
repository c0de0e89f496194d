using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary>
/// The wiring of the text-classification flow through the CLI, with the tiny test model (the flow with the real
/// all-MiniLM-L6-v2 model, and its predictions, is tested at library level in
/// Veil.Evaluation.Tests.TextClassificationFlowTests): <c>veil embed</c> a JSON Lines text field, <c>veil
/// encrypt-dataset</c> (one-way Parquet), <c>veil train --ciphertexts</c> with no key, then <c>veil predict --text</c>
/// with the key; the keyless training refuses key options, and another key is refused.
/// </summary>
public sealed class TextClassificationCommandTests
{
    private static readonly string[] s_games = ["a puzzle game with falling blocks", "an arcade shooter game with spaceships", "a chess game against the computer", "a racing game with cars on tracks", "a card game of solitaire", "a platform game with jumping heroes", "a strategy game of ancient wars", "a board game for two players", "a role-playing game with dungeons", "a golf game with many courses"];

    private static readonly string[] s_fonts = ["a font family for Japanese text", "monospaced fonts for programming", "a serif typeface for printed books", "TrueType fonts with Arabic glyphs", "a bitmap font for terminals", "OpenType fonts covering Cyrillic letters", "a sans-serif typeface for screens", "fonts with emoji glyphs", "a handwriting font family", "a font of mathematical symbols"];

    [Fact]
    public async Task EmbedEncryptDatasetTrainWithoutKeyPredictWithKey_PrintsALabelPerFreshText()
    {
        using var directory = new TempDirectory();
        using var config = new TempConfig(TestKeys.RotatingConfig());
        File.WriteAllLines(directory.File("texts.jsonl"), s_games.Select((t, i) => $$"""{"id":"g{{i}}","section":"games","text":"{{t}}"}""")
            .Concat(s_fonts.Select((t, i) => $$"""{"id":"f{{i}}","section":"fonts","text":"{{t}}"}""")));
        string[] key = ["--config", config.Path, "--tenant", "t", "--secret-path", "old", "--derivation-path", "minilm"];
        string[] tiny = ["--model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary];

        CliResult embed = await VeilCli.RunAsync(string.Empty, ["embed", "--input", directory.File("texts.jsonl"), "--text-field", "text", "--output", directory.File("texts.bin"), .. tiny]);
        CliResult again = await VeilCli.RunAsync(string.Empty, ["embed", "--input", directory.File("texts.jsonl"), "--text-field", "text", "--output", directory.File("texts.bin"), .. tiny]);
        CliResult export = await VeilCli.RunAsync(string.Empty, ["encrypt-dataset", .. key, "--vectors", directory.File("texts.bin"), "--records", directory.File("texts.jsonl"), "--labels", "section", "--output", directory.File("train.parquet")]);
        CliResult train = await VeilCli.RunAsync(string.Empty, "train", "--ciphertexts", directory.File("train.parquet"), "--model", directory.File("m.zip"), "--test-fraction", "0.2");
        CliResult predict = await VeilCli.RunAsync(string.Empty, ["predict", .. key, "--model", directory.File("m.zip"), "--text", "a tennis game with a ball", "--text", "a typeface for Hebrew letters", "--embedding-model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary]);

        Assert.True(embed.ExitCode == ExitCodes.Success, embed.Stderr);
        Assert.Equal(20L * 8 * 4, new FileInfo(directory.File("texts.bin")).Length);
        Assert.True(again.ExitCode == ExitCodes.Success, again.Stderr);
        Assert.Contains("carried on after the 20 rows already there", again.Stderr, StringComparison.Ordinal);
        Assert.True(export.ExitCode == ExitCodes.Success, export.Stderr);
        Assert.True(train.ExitCode == ExitCodes.Success, train.Stderr);
        Assert.Contains("key id 1 of \"old\" for tenant \"t\"", train.Stderr, StringComparison.Ordinal);
        Assert.True(predict.ExitCode == ExitCodes.Success, predict.Stderr);
        Assert.All(predict.Json, l => Assert.Contains(l.GetProperty("label").GetString(), new[] { "games", "fonts" }));
        Assert.Equal(["1", "2"], predict.Json.Select(l => l.GetProperty("id").GetString()));

        // The keyless training takes no key; the model refuses another key (here: another secret path's).
        CliResult keyed = await VeilCli.RunAsync(string.Empty, ["train", "--ciphertexts", directory.File("train.parquet"), "--model", directory.File("m2.zip"), .. key]);
        Assert.Equal(ExitCodes.InvalidOptions, keyed.ExitCode);
        Assert.Contains("--ciphertexts is the whole input and needs no key", keyed.Stderr, StringComparison.Ordinal);
        CliResult wrongKey = await VeilCli.RunAsync(string.Empty, "predict", "--config", config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "minilm", "--model", directory.File("m.zip"), "--text", "a game", "--embedding-model", TestFiles.TinyModel, "--vocab", TestFiles.TinyVocabulary);
        Assert.Equal(ExitCodes.InvalidOptions, wrongKey.ExitCode);
        Assert.Contains("only works with the key it was trained under", wrongKey.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainCiphertexts_OfAParquetFileThatIsNotAOneWayDataset_IsRefused()
    {
        using var directory = new TempDirectory();
        string parquet = directory.WriteParquet("SELECT 'a' AS id, 'x' AS label, [1.0, 0.0]::FLOAT[] AS vector");

        CliResult result = await VeilCli.RunAsync(string.Empty, "train", "--ciphertexts", parquet, "--model", directory.File("m.zip"));

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("is not a Veil one-way dataset", result.Stderr, StringComparison.Ordinal);
    }
}
