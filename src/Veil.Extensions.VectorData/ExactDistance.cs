using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;

namespace Veil.Extensions.VectorData;

/// <summary>The score a distance function gives two plaintext vectors, and which way is better.</summary>
internal static class ExactDistance
{
    /// <summary>Whether a larger score is a closer match for <paramref name="distanceFunction"/>.</summary>
    public static bool HigherIsBetter(string distanceFunction) =>
        distanceFunction is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;

    /// <summary>Whether exact re-ranking can compute <paramref name="distanceFunction"/>.</summary>
    public static bool IsSupported(string distanceFunction) => distanceFunction is
        DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance or DistanceFunction.DotProductSimilarity
        or DistanceFunction.NegativeDotProductSimilarity or DistanceFunction.EuclideanDistance
        or DistanceFunction.EuclideanSquaredDistance or DistanceFunction.ManhattanDistance;

    /// <summary>The score of <paramref name="x"/> against <paramref name="y"/>, as the store would compute it on plaintext.</summary>
    public static double Score(string distanceFunction, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        switch (distanceFunction)
        {
            case DistanceFunction.CosineSimilarity:
                return TensorPrimitives.CosineSimilarity(x, y);
            case DistanceFunction.CosineDistance:
                return 1.0 - TensorPrimitives.CosineSimilarity(x, y);
            case DistanceFunction.DotProductSimilarity:
                return TensorPrimitives.Dot(x, y);
            case DistanceFunction.NegativeDotProductSimilarity:
                return -TensorPrimitives.Dot(x, y);
            case DistanceFunction.EuclideanDistance:
                return TensorPrimitives.Distance(x, y);
            case DistanceFunction.EuclideanSquaredDistance:
                float distance = TensorPrimitives.Distance(x, y);
                return (double)distance * distance;
            case DistanceFunction.ManhattanDistance:
                double sum = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    sum += Math.Abs(x[i] - y[i]);
                }

                return sum;
            default:
                throw new NotSupportedException($"Exact re-ranking does not support distance function '{distanceFunction}'; disable ExactReranking.");
        }
    }
}
