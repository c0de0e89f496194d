using Veil.Evaluation;
using Veil.Evaluation.Training;

namespace Veil.Evaluation.Tests;

/// <summary><see cref="EvaluationArguments"/> (moved from veil evaluate/train): the text forms, and refusals that name the setting.</summary>
public sealed class EvaluationArgumentsTests
{
    [Fact]
    public void ParseBetas_ReadsCommaSeparatedPositiveNumbers() =>
        Assert.Equal([1, 2.5, 7.2], EvaluationArguments.ParseBetas(" 1, 2.5 ,7.2"));

    [Theory]
    [InlineData("1,0")]
    [InlineData("1,-2")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1,x")]
    [InlineData(",")]
    public void ParseBetas_RefusesAnythingButPositiveFiniteNumbers(string text) =>
        Assert.StartsWith("--betas", Assert.Throws<FormatException>(() => EvaluationArguments.ParseBetas(text, "--betas")).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData(1.5, 100, 0.5, "--target-recall")]
    [InlineData(0.0, 100, 0.5, "--target-recall")]
    [InlineData(0.95, 9, 0.5, "--rerank-budget")]
    [InlineData(0.95, 100, 0.0, "--public-overlap")]
    [InlineData(0.95, 100, double.NaN, "--public-overlap")]
    public void EvaluationOptionsValidate_RefusesSettingsOutOfRange_NamingThem(double target, int budget, double overlap, string name)
    {
        var options = new EvaluationOptions { TargetRecall = target, RerankBudget = budget, PublicOverlap = overlap };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.StartsWith(name, e.Message, StringComparison.Ordinal);
        new EvaluationOptions { TargetRecall = 1, RerankBudget = 10, PublicOverlap = 1 }.Validate();
    }

    [Fact]
    public void ParseSeeds_ReadsACountFromTheFirstSeedOrAList()
    {
        Assert.Equal([42, 43, 44], EvaluationArguments.ParseSeeds("3", 42));
        Assert.Equal([7, 9], EvaluationArguments.ParseSeeds("7,9", 42));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    [InlineData("7,7")]
    [InlineData("seven")]
    public void ParseSeeds_RefusesBadCountsAndRepeatedSeeds(string text) =>
        Assert.Throws<FormatException>(() => EvaluationArguments.ParseSeeds(text, 1));

    [Theory]
    [InlineData("1000,64", 1000, 64)]
    [InlineData("20,2", 20, 2)]
    public void ParseSyntheticSize_ReadsNAndD(string text, int count, int dimensions) =>
        Assert.Equal((count, dimensions), EvaluationArguments.ParseSyntheticSize(text));

    [Theory]
    [InlineData("19,64")]
    [InlineData("100,1")]
    [InlineData("100000,1001")]
    [InlineData("100")]
    public void ParseSyntheticSize_RefusesSizesOutOfRange(string text) =>
        Assert.Throws<FormatException>(() => EvaluationArguments.ParseSyntheticSize(text));

    [Fact]
    public void ParseTrainers_AllowsNoneOnlyWhenAsked()
    {
        Assert.Equal([ClassifierTrainer.LogisticRegression, ClassifierTrainer.LightGbm], EvaluationArguments.ParseTrainers("both", "--classifiers"));
        Assert.Empty(EvaluationArguments.ParseTrainers("none", "--classifiers", allowNone: true));
        Assert.Throws<FormatException>(() => EvaluationArguments.ParseTrainers("none", "--trainer"));
        Assert.Throws<FormatException>(() => EvaluationArguments.ParseTrainer("both"));
    }
}
