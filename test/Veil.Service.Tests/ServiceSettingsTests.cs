namespace Veil.Service.Tests;

/// <summary><see cref="VeilKeyServiceSettings"/> (moved from veil serve): the text forms of the service's settings.</summary>
public sealed class ServiceSettingsTests
{
    [Fact]
    public void ParseMaxNorms_ReadsPathEqualsValue_SplittingOnTheLastEquals()
    {
        Dictionary<string, float> norms = VeilKeyServiceSettings.ParseMaxNorms(["p=2", "a=b=1.5"]);

        Assert.Equal(2f, norms["p"]);
        Assert.Equal(1.5f, norms["a=b"]);
    }

    [Theory]
    [InlineData("p=0")]
    [InlineData("p=-1")]
    [InlineData("p=NaN")]
    [InlineData("p=Infinity")]
    [InlineData("=2")]
    [InlineData("p")]
    public void ParseMaxNorms_RefusesAnythingButAPositiveFiniteNormPerPath(string value) =>
        Assert.Contains(value, Assert.Throws<FormatException>(() => VeilKeyServiceSettings.ParseMaxNorms([value])).Message, StringComparison.Ordinal);

    [Fact]
    public void ParseMaxNorms_RefusesAPathGivenTwice() =>
        Assert.Throws<FormatException>(() => VeilKeyServiceSettings.ParseMaxNorms(["p=2", "p=3"]));
}
