using System.Numerics.Tensors;

namespace Veil.Vectors;

/// <summary>
/// The input checks of a vector secret path (<see cref="Keys.VectorSecret.Dimensions"/> and
/// <see cref="Keys.VectorSecret.MaxNorm"/>); the default checks nothing, as Alloy.
/// </summary>
internal readonly record struct VectorInputLimits(int? Dimensions, float? MaxNorm)
{
    /// <summary>Whether a vector of <paramref name="length"/> coordinates is of the path's dimension (or any is allowed).</summary>
    public bool AllowsLength(int length) => Dimensions is not { } d || d == length;

    /// <summary>Throws unless <paramref name="length"/> is the path's dimension. The message names lengths only.</summary>
    /// <exception cref="ArgumentException">Another length.</exception>
    public void CheckLength(int length, string? parameterName = null)
    {
        if (!AllowsLength(length))
        {
            throw new ArgumentException($"The vector has {length} coordinates; this secret path holds {Dimensions}-dimensional vectors.", parameterName);
        }
    }

    /// <summary>Whether <paramref name="plaintext"/> passes both checks (a NaN or infinite norm never passes a norm limit).</summary>
    public bool Allows(ReadOnlySpan<float> plaintext) =>
        AllowsLength(plaintext.Length) && (MaxNorm is not { } max || TensorPrimitives.Norm(plaintext) <= max);

    /// <summary>Throws unless <paramref name="plaintext"/> passes both checks. Messages name no coordinate and no norm.</summary>
    /// <exception cref="ArgumentException">Another length, or a norm above the limit (or not finite).</exception>
    public void Check(ReadOnlySpan<float> plaintext, string? parameterName = null)
    {
        CheckLength(plaintext.Length, parameterName);
        if (MaxNorm is { } max && !(TensorPrimitives.Norm(plaintext) <= max))
        {
            throw new ArgumentException(
                $"The vector's L2 norm exceeds this secret path's maximum of {max.ToString(System.Globalization.CultureInfo.InvariantCulture)} (or is not finite); inputs must be of the scale the path's β was chosen for.",
                parameterName);
        }
    }
}
