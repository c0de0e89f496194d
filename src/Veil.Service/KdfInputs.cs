using Veil.Keys;

namespace Veil.Service;

/// <summary>
/// The service's guard on Alloy's key derivation input <c>tenant ‖ "-" ‖ derivationPath</c>: that string does not say
/// where the tenant ends, so tenant <c>acme</c> with derivation path <c>eu-body</c> derives the keys of tenant
/// <c>acme-eu</c> with path <c>body</c>. The library keeps Alloy's bytes; the service, whose callers are not trusted
/// with every tenant, makes each input split one way only.
/// </summary>
internal static class KdfInputs
{
    /// <summary>
    /// By default, why a request's tenant, new tenant or derivation path may not be used (it contains <c>-</c>), or null.
    /// </summary>
    public static string? Refusal(string? tenant, string? newTenant, string? derivationPath)
    {
        string? which = KdfInput.IsAmbiguous(tenant) ? "tenant" : KdfInput.IsAmbiguous(newTenant) ? "newTenant" : KdfInput.IsAmbiguous(derivationPath) ? "derivationPath" : null;
        return which is null
            ? null
            : $"\"{which}\" contains '-': keys derive from tenant-derivationPath, so '-' in either could reach another tenant's keys; the service refuses it unless started with --allow-hyphenated-ids";
    }

    /// <summary>
    /// With hyphens allowed: every client not allowed every tenant lists its derivation paths, and no (tenant,
    /// derivation path) it may use derives the keys of a tenant it may not use.
    /// </summary>
    /// <exception cref="FormatException">A policy could reach another tenant's keys; the message names the client and that tenant.</exception>
    public static void CheckCollisions(IEnumerable<ClientPolicy> clients)
    {
        foreach (ClientPolicy client in clients)
        {
            if (client.Tenants.Contains("*"))
            {
                continue;
            }

            if (client.DerivationPaths.Contains("*"))
            {
                throw new FormatException($"Client '{client.Name}': with hyphenated ids allowed, \"derivationPaths\" must list the derivation paths (not \"*\"), so that none reaches another tenant's keys.");
            }

            var tenants = new HashSet<string>(client.Tenants, StringComparer.Ordinal);
            foreach (string tenant in client.Tenants)
            {
                foreach (string path in client.DerivationPaths)
                {
                    string input = $"{tenant}-{path}";
                    for (int i = input.IndexOf('-', StringComparison.Ordinal); i >= 0; i = input.IndexOf('-', i + 1))
                    {
                        string other = input[..i];
                        if (!tenants.Contains(other))
                        {
                            throw new FormatException(
                                $"Client '{client.Name}': tenant '{tenant}' with derivation path '{path}' derives the keys of tenant '{other}' (derivation path '{input[(i + 1)..]}'), a tenant the client may not use; remove that derivation path or allow that tenant.");
                        }
                    }
                }
            }
        }
    }
}
