namespace Veil.Embeddings.Onnx;

/// <summary>A <see cref="PackagedModel"/>'s package is not in the NuGet global packages folder (install it with <see cref="PackagedModelInstaller"/>).</summary>
public sealed class PackagedModelNotFoundException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="PackagedModelNotFoundException"/> class.</summary>
    /// <param name="model">The model.</param>
    /// <param name="packagesFolder">The folder looked in.</param>
    public PackagedModelNotFoundException(PackagedModel model, string packagesFolder)
        : base($"The {model?.Name} model is not installed: its package {model} is not in the NuGet global packages folder '{packagesFolder}'.")
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        PackagesFolder = packagesFolder;
    }

    /// <summary>Gets the model.</summary>
    public PackagedModel Model { get; }

    /// <summary>Gets the folder looked in.</summary>
    public string PackagesFolder { get; }
}
