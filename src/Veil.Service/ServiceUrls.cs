using System.Net;

namespace Veil.Service;

/// <summary>
/// The listening URLs, as Kestrel will bind them: each given URL is split on <c>;</c> (as the host splits its URL
/// list) and on <c>,</c>, and every piece is checked: plain <c>http://</c> only on a loopback address unless
/// explicitly allowed, <c>https://</c> only with a certificate.
/// </summary>
public static class ServiceUrls
{
    /// <summary>Every URL Kestrel would bind for <paramref name="urls"/>.</summary>
    public static IReadOnlyList<string> Split(IEnumerable<string> urls)
    {
        ArgumentNullException.ThrowIfNull(urls);
        return [.. urls.SelectMany(u => (u ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
    }

    /// <summary>Checks every URL Kestrel would bind.</summary>
    /// <param name="urls">The URLs as given (each may hold several, separated by <c>;</c>).</param>
    /// <param name="hasCertificate">Whether a TLS certificate is configured.</param>
    /// <param name="allowRemoteHttp">Allow plain http on a non-loopback address (behind a TLS-terminating proxy).</param>
    /// <exception cref="ArgumentException">A URL is not http(s), is https without a certificate, or is plain http off loopback without <paramref name="allowRemoteHttp"/>.</exception>
    public static void Check(IEnumerable<string> urls, bool hasCertificate, bool allowRemoteHttp)
    {
        IReadOnlyList<string> all = Split(urls);
        if (all.Count == 0)
        {
            throw new ArgumentException("No URL to listen on.");
        }

        foreach (string url in all)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new ArgumentException($"'{url}' is not an http:// or https:// URL.");
            }

            if (uri.Scheme == "https" && !hasCertificate)
            {
                throw new ArgumentException($"'{url}' needs a certificate (--certificate).");
            }

            if (uri.Scheme == "http" && !allowRemoteHttp && !IsLoopback(uri))
            {
                throw new ArgumentException($"'{url}' would send keys' results in cleartext off this machine; use https:// with a certificate (--certificate), or allow remote http explicitly (--allow-remote-http) behind a TLS proxy.");
            }
        }
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? address) && IPAddress.IsLoopback(address));
}
