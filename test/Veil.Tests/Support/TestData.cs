using System.Text;
using Veil.Keys;

namespace Veil.Tests.Support;

/// <summary>Inputs shared by the known-answer tests (all from the Veil spec, ALLOY-COMPAT.md §5).</summary>
internal static class TestData
{
    /// <summary>The 32-byte key of Alloy's shuffle and core-encrypt tests: bytes 4..36 of the seed-1 stream.</summary>
    public static readonly byte[] AlloyTestKey =
    [
        69, 96, 99, 158, 198, 112, 183, 161, 125, 73, 43, 39, 62, 7, 123, 10,
        150, 190, 245, 139, 167, 118, 7, 121, 229, 68, 84, 110, 0, 14, 254, 200,
    ];

    /// <summary>The cross-language test secret: the ASCII bytes of this string, not its base64 decoding.</summary>
    public static byte[] CrossLanguageSecretBytes => Encoding.ASCII.GetBytes("hJdwvEeg5mxTu9qWcWrljfKs1ga4MpQ9MzXgLxtlkwX//yA=");

    public static string VectorFile(string name) => Path.Combine(AppContext.BaseDirectory, "TestVectors", name);

    public static Dictionary<SecretPath, VectorSecret> VectorSection(string secretPath, VectorSecret secret) => new() { [new SecretPath(secretPath)] = secret };

    /// <summary>
    /// Decryption is exact up to f32 rounding of c = m + λ, so plaintexts come back within a few ulps of |λ| ≤ β/4
    /// (about 1e-7 for the β used in these tests). Compare with an absolute bound, never by decimal places.
    /// </summary>
    public static void AssertClose(float expected, float actual, float tolerance = 1e-6f) =>
        Assert.InRange(Math.Abs(expected - actual), 0f, tolerance);

    public static int Ulps(float a, float b)
    {
        int ia = BitConverter.SingleToInt32Bits(a), ib = BitConverter.SingleToInt32Bits(b);
        if (ia < 0)
        {
            ia = int.MinValue - ia;
        }

        if (ib < 0)
        {
            ib = int.MinValue - ib;
        }

        return Math.Abs(ia - ib);
    }
}
