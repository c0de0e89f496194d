namespace Veil.Cli.Commands.OptionGroups;

/// <summary>--batch-size: how many documents or rows a store command handles at a time; below 1 is refused when parsing.</summary>
internal static class BatchSize
{
    public static Option<int> Option(string description, int defaultValue)
    {
        Option<int> option = Opt("--batch-size", description, defaultValue);
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("Invalid options: --batch-size must be at least 1.");
            }
        });
        return option;
    }
}
