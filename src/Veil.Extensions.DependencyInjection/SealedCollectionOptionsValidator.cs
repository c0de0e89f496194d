using Microsoft.Extensions.Options;
using Veil.Sealed;

namespace Veil.Extensions.DependencyInjection;

/// <summary>
/// Checks the <see cref="SealedCollectionOptions"/> of each sealed collection registered with
/// <c>AddSealedVectorStoreCollection</c> or <c>AddSealedCollectionFactory</c> at start-up, naming the setting
/// (<c>Sealed:name:Setting</c>); the same rules the collection's constructor applies.
/// </summary>
public sealed class SealedCollectionOptionsValidator : IValidateOptions<SealedCollectionOptions>
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, SealedCollectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Problems($"Sealed:{name}") is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
