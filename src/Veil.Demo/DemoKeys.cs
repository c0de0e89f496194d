using Veil.Configuration;
using Veil.Keys;

namespace Veil.Demo;

/// <summary>The keys a demo runs with: fresh random ones, or a configuration's, completed with fresh ones where it has none.</summary>
/// <param name="Configuration">The secrets; disposing the keys disposes them (<see cref="ConfigFile.DisposeSecrets"/>).</param>
/// <param name="SecretPath">The vector and deterministic secret path the demo uses.</param>
/// <param name="Description">Where the secrets come from, for the report (never their values).</param>
public sealed record DemoKeys(VeilConfiguration Configuration, SecretPath SecretPath, string Description) : IDisposable
{
    /// <summary>The secret path of fresh keys when none is given.</summary>
    public const string DefaultSecretPath = "demo";

    /// <summary>Fresh random in-memory vector (approximation factor <paramref name="beta"/>), deterministic and standard secrets.</summary>
    public static DemoKeys Fresh(float beta, SecretPath? secretPath = null)
    {
        if (!float.IsFinite(beta) || beta <= 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), "--beta, the approximation factor, must be a finite number greater than zero.");
        }

        SecretPath path = secretPath ?? new SecretPath(DefaultSecretPath);
        var fresh = new VeilConfiguration(
            new Dictionary<SecretPath, VectorSecret> { [path] = new(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), Secret.Generate()))) },
            new Dictionary<SecretPath, RotatableSecret> { [path] = NewRotatable() },
            NewStandard());
        return new(fresh, path, $"fresh random in-memory secrets (vector β = {beta}, no scaling factor)");
    }

    /// <summary>
    /// The keys of <c>veil demo</c>: <see cref="Fresh"/> ones when <paramref name="configPath"/> is null, else those of
    /// the configuration file there (<see cref="FromConfiguration"/>).
    /// </summary>
    /// <param name="beta">The approximation factor of fresh keys.</param>
    /// <param name="configPath">A configuration file, or null for fresh keys.</param>
    /// <param name="secretPath">The vector secret path, or null for the default (fresh) or the first (configured).</param>
    /// <returns>The keys; dispose them to dispose their secrets.</returns>
    /// <exception cref="ArgumentException">The configuration has no usable vector secret there (the message names the file as <c>veil demo --config</c>).</exception>
    /// <exception cref="ConfigurationFileException">The file does not load.</exception>
    public static DemoKeys Load(float beta, string? configPath, SecretPath? secretPath = null)
    {
        if (configPath is null)
        {
            return Fresh(beta, secretPath);
        }

        VeilConfiguration loaded = ConfigurationLoader.Load(configPath);
        try
        {
            return FromConfiguration(loaded, configPath, secretPath);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"veil demo --config {configPath}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The vector secret at <paramref name="secretPath"/> (default: the first) of <paramref name="loaded"/>, with its
    /// deterministic and standard secrets where configured and fresh ones otherwise. Takes ownership of
    /// <paramref name="loaded"/>'s secrets: on failure they are disposed.
    /// </summary>
    /// <param name="loaded">The configuration.</param>
    /// <param name="source">Where it was read from, for the description.</param>
    /// <param name="secretPath">The vector secret path, or null for the first.</param>
    /// <exception cref="ArgumentException">The configuration has no usable vector secret there.</exception>
    public static DemoKeys FromConfiguration(VeilConfiguration loaded, string source, SecretPath? secretPath = null)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        try
        {
            SecretPath vectorPath = secretPath is { } p ? p
                : loaded.Vector.Count > 0 ? loaded.Vector.Keys.First()
                : throw new ArgumentException("The configuration needs a vector section.", nameof(loaded));
            if (!loaded.Vector.TryGetValue(vectorPath, out VectorSecret? vector))
            {
                throw new ArgumentException($"The secret path \"{vectorPath}\" is not in the configuration's vector section.", nameof(secretPath));
            }

            if (vector.Secrets.Current is null)
            {
                throw new ArgumentException($"The vector secret path \"{vectorPath}\" has no current secret to encrypt with.", nameof(secretPath));
            }

            // Fill in whatever the file does not configure with fresh secrets, so that every part of the demo runs.
            bool freshDeterministic = !loaded.Deterministic.TryGetValue(vectorPath, out RotatableSecret? deterministic) || deterministic.Current is null;
            var deterministicSection = new Dictionary<SecretPath, RotatableSecret>(loaded.Deterministic);
            if (freshDeterministic)
            {
                deterministicSection[vectorPath] = NewRotatable();
            }

            bool freshStandard = loaded.Standard?.Primary is null;
            StandardSecrets standard = freshStandard ? NewStandard() : loaded.Standard!;
            if (freshStandard && loaded.Standard is not null)
            {
                foreach (IdentifiedSecret unused in loaded.Standard.Secrets)
                {
                    unused.Secret.Dispose();
                }
            }

            var configuration = new VeilConfiguration(loaded.Vector, deterministicSection, standard);
            string description = $"vector secret \"{vectorPath}\" from {source} (β = {vector.ApproximationFactor}, scaling factor {(vector.UseScalingFactor ? "on" : "off")}); "
                + $"{(freshDeterministic ? "fresh" : "configured")} deterministic and {(freshStandard ? "fresh" : "configured")} standard secrets";
            return new(configuration, vectorPath, description);
        }
        catch
        {
            ConfigFile.DisposeSecrets(loaded);
            throw;
        }
    }

    /// <summary>Disposes the secrets of <see cref="Configuration"/>.</summary>
    public void Dispose() => ConfigFile.DisposeSecrets(Configuration);

    private static RotatableSecret NewRotatable() => new(new IdentifiedSecret(new KeyId(1), Secret.Generate()));

    private static StandardSecrets NewStandard() => new(new KeyId(1), [new IdentifiedSecret(new KeyId(1), Secret.Generate())]);
}
