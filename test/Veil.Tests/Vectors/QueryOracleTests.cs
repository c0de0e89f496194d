using Veil.Insecure;
using Xunit.Abstractions;
using Veil.Keys;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>
/// What a norm limit does not stop: a caller with only the query permission, sending unit-norm vectors, learns the
/// key's permutation from a few dozen calls (random ±1/√d sign codes, each ciphertext coordinate matched to the source
/// index whose code it correlates with best). docs/threat-model.md quotes these numbers; this test keeps them honest.
/// </summary>
public class QueryOracleTests(ITestOutputHelper output)
{
    private const int D = 384;

    [Theory]
    [InlineData(2.5f, 32, 0.99)]
    [InlineData(4f, 64, 0.99)]
    public void UnitNormQueries_RevealThePermutation_DespiteTheNormLimit(float beta, int calls, double expectedFraction)
    {
        Assert.True(RecoveredFraction(beta, calls) >= expectedFraction);
    }

    [Fact]
    public void UnitNormQueries_RecoveredFraction_GrowsWithCalls()
    {
        foreach (float beta in new[] { 2.5f, 4f })
        {
            var line = new List<string>();
            double previous = 0;
            foreach (int calls in new[] { 4, 8, 16, 32, 64, 128 })
            {
                double fraction = RecoveredFraction(beta, calls);
                line.Add(FormattableString.Invariant($"{calls}: {fraction:F3}"));
                Assert.True(fraction >= previous - 0.05);
                previous = fraction;
            }

            output.WriteLine(FormattableString.Invariant($"β = {beta}: {string.Join(", ", line)}"));
        }
    }

    /// <summary>The fraction of the 384 coordinates whose source index the attacker names correctly after <paramref name="calls"/> queries.</summary>
    private static double RecoveredFraction(float beta, int calls)
    {
        using var secret = new Secret(Enumerable.Range(0, 32).Select(i => (byte)(3 * i)).ToArray());
        var vectorSecret = new VectorSecret(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))) { MaxNorm = 1.001f, Dimensions = D };
        using VeilClient client = InsecureSeededClient.Create(new VeilConfiguration(vector: TestData.VectorSection("vec", vectorSecret)), 2026);

        // Each query is a random sign pattern scaled to unit norm, within the limit.
        var random = new Random(11);
        var codes = new float[calls][];
        var observed = new float[calls][];
        for (int q = 0; q < calls; q++)
        {
            codes[q] = Enumerable.Range(0, D).Select(_ => random.Next(2) == 0 ? -1f / MathF.Sqrt(D) : 1f / MathF.Sqrt(D)).ToArray();
            observed[q] = client.Vector.GenerateQueryVectors(codes[q], TestIds.Vec, TestIds.Model, TestIds.Tenant)[0].Ciphertext.ToArray();
        }

        // Ground truth from the key holder's side: where a basis vector's mass lands (its noise is small next to 1).
        int correct = 0;
        for (int source = 0; source < D; source++)
        {
            var basis = new float[D];
            basis[source] = 1f;
            float[] probe = client.Vector.EncryptOneWay(basis, TestIds.Vec, TestIds.Model, TestIds.Tenant);
            int truth = Array.IndexOf(probe, probe.Max());

            // The attacker: the ciphertext coordinate whose observations correlate best with this source's code.
            int guess = 0;
            double best = double.NegativeInfinity;
            for (int j = 0; j < D; j++)
            {
                double score = 0;
                for (int q = 0; q < calls; q++)
                {
                    score += codes[q][source] * observed[q][j];
                }

                if (score > best)
                {
                    best = score;
                    guess = j;
                }
            }

            correct += guess == truth ? 1 : 0;
        }

        return correct / (double)D;
    }
}
