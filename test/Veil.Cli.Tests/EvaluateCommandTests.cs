using System.Text.Json;
using Veil.Cli.Tests.Support;
using Veil.Testing;

namespace Veil.Cli.Tests;

/// <summary><c>veil evaluate</c> runs on a small subset of the committed MiniLM corpus, or on synthetic data.</summary>
public sealed class EvaluateCommandTests
{
    [Fact]
    public async Task Evaluate_OnAJsonLinesInput_PrintsTablesPerBeta()
    {
        // 60 labelled 8-d rows in two clusters: the evaluation itself is tested in Veil.Evaluation.Tests; this checks the wiring.
        using var directory = new TempDirectory();
        string input = directory.File("rows.jsonl");
        var random = new Random(3);
        File.WriteAllLines(input, Enumerable.Range(0, 60).Select(i =>
        {
            double[] v = Enumerable.Range(0, 8).Select(j => (j == i % 2 ? 1.0 : 0.0) + (0.3 * random.NextDouble())).ToArray();
            return $$"""{"id":"r{{i}}","vector":[{{string.Join(",", v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}}],"category":"c{{i % 2}}"}""";
        }));

        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", "--input", input, "--betas", "1,8", "--classifiers", "none");

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        Assert.Contains("| metric | random | plaintext | β = 1 | β = 8 |", result.Stdout);
        Assert.Contains("recall@10 (L2) re-ranked, K′ = ", result.Stdout);
        Assert.Contains("L2 Procrustes", result.Stdout);
        Assert.Contains("L8 attribute probe", result.Stdout);
        Assert.Contains("Known pairs capped at", result.Stdout);
        Assert.Contains("## The three choices side by side", result.Stdout);
        Assert.Contains("| β = 1 | β = 8 | sealed |", result.Stdout);
        Assert.Contains("S1 rebuild neighbourhoods", result.Stdout);
        Assert.Contains("Scale curve: 300, 1000, 3000, 10000 stolen rows left out", result.Stdout);
    }

    [Fact]
    public async Task Evaluate_Out_WritesJsonMarkdownAndPngPlots()
    {
        using var directory = new TempDirectory();
        string output = directory.File("report");

        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", "--synthetic", "40,4", "--betas", "1,8", "--seeds", "2", "--classifiers", "none", "--out", output);

        Assert.True(result.ExitCode == ExitCodes.Success, result.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        Assert.Equal([42, 43], json.RootElement.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(2, json.RootElement.GetProperty("runs").GetArrayLength());
        Assert.Equal(40, json.RootElement.GetProperty("runs")[0].GetProperty("count").GetInt32());
        Assert.True(json.RootElement.GetProperty("summary").TryGetProperty("encrypted[1].cca.mutualInformation", out _));

        string markdown = File.ReadAllText(Path.Combine(output, "report.md"));
        foreach (string section in new[] { "## Recommendation", "## Utility", "## Attacks", "## Plots" })
        {
            Assert.Contains(section, markdown);
        }

        Assert.Contains(" ± ", markdown);
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        string[] plots = ["beta-tradeoff.png", "known-pairs.png", "membership-roc.png", "cca-correlations.png"];
        foreach (string plot in plots)
        {
            byte[] png = File.ReadAllBytes(Path.Combine(output, plot));
            Assert.True(png.Length > 10_000, $"{plot}: {png.Length} bytes");
            Assert.Equal(signature, png[..8]);
            Assert.Contains($"]({plot})", markdown);
        }
    }

    [Fact]
    public async Task Evaluate_WhenTheLabelsAreNeitherAFileNorAField_Exits1()
    {
        // Reading labels from a file or a field is tested in Veil.Documents.Store.Tests (LabelledVectorsTests).
        CliResult missing = await VeilCli.RunAsync(string.Empty, "evaluate", "--limit", "60", "--betas", "2", "--labels", "no-such-field");

        Assert.Equal(ExitCodes.InvalidOptions, missing.ExitCode);
        Assert.Contains("neither a file nor a field", missing.Stderr);
    }

    [Theory]
    [InlineData("--betas", "0")]
    [InlineData("--betas", "x")]
    [InlineData("--limit", "5")]
    [InlineData("--target-recall", "1.5")]
    [InlineData("--vectors", "only.bin")]
    [InlineData("--seeds", "0")]
    [InlineData("--seeds", "4,4")]
    [InlineData("--synthetic", "10,4")]
    [InlineData("--public-overlap", "0")]
    [InlineData("--scale-curve", "1")]
    [InlineData("--scale-curve", "x")]
    public async Task Evaluate_WhenOptionsInvalid_Exits1(string option, string value)
    {
        CliResult result = await VeilCli.RunAsync(string.Empty, "evaluate", option, value);

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("Invalid options", result.Stderr);
    }
}
