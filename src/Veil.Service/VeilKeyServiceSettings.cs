using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace Veil.Service;

/// <summary>
/// The key service's settings in the text forms a command line or a configuration file gives them (<c>veil serve</c>
/// binds its options through these): <c>path=value</c> norm limits, a PKCS#12 certificate file with its password in an
/// environment variable. Each refuses bad input with a message that names the
/// value (never a password or key) and leaves naming the setting to the caller.
/// </summary>
public static class VeilKeyServiceSettings
{
    /// <summary>Parses <c>path=value</c> norm limits into <see cref="VeilKeyServiceOptions.MaxNorms"/>.</summary>
    /// <param name="values">One <c>path=value</c> per secret path (the path may contain <c>=</c>; the last one splits).</param>
    /// <returns>The largest L2 norm per secret path.</returns>
    /// <exception cref="FormatException">A value is not <c>path=value</c> with a finite number greater than zero, or a path is given twice.</exception>
    public static Dictionary<string, float> ParseMaxNorms(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var norms = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (string value in values)
        {
            int equals = value.LastIndexOf('=');
            if (equals <= 0 || !float.TryParse(value.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out float norm) || !float.IsFinite(norm) || norm <= 0
                || !norms.TryAdd(value[..equals], norm))
            {
                throw new FormatException($"'{value}' is not path=value with a number greater than zero (once per path).");
            }
        }

        return norms;
    }

    /// <summary>Loads the PKCS#12 (.pfx) certificate for https:// URLs (<see cref="VeilKeyServiceOptions.Certificate"/>).</summary>
    /// <param name="path">The certificate file.</param>
    /// <param name="passwordVariable">The environment variable holding its password, or null for none.</param>
    /// <returns>The certificate; the caller disposes it after the service.</returns>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The file is not a certificate or the password is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static X509Certificate2 LoadCertificate(string path, string? passwordVariable) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, passwordVariable is null ? null : Environment.GetEnvironmentVariable(passwordVariable));
}
