using System.Numerics.Tensors;
using System.Security.Cryptography;
using CsCheck;
using Veil.Formats;
using Veil.Insecure;
using Veil.Keys;
using Veil.Randomness;
using Veil.Tests.Support;
using Veil.Vectors;

namespace Veil.Tests.Vectors;

/// <summary>
/// <see cref="VectorKeyTransform.StructuredRotation"/>: an orthogonal, keyed, exactly invertible map, checked against an
/// independent dense construction and against known answers computed outside .NET; its ciphertexts and the Alloy
/// permutation's never verify under each other.
/// </summary>
public class StructuredRotationTests
{
    private static readonly byte[] s_key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    public static TheoryData<int, float[]> KnownAnswers => new()
    {
        // R·x for K = 01 02 … 20 and x_i = (−1)^i (i + 1)/10, computed in double by an independent Python script
        // (HMAC-SHA256, ChaCha20 from the `cryptography` package, dense Hadamard matrices), printed to 7 decimals.
        { 5, [-0.4250000f, 0.0750000f, -0.1750000f, -0.5750000f, 0.0500000f] },
        { 12, [0.8097272f, -0.6072146f, -0.3547019f, 0.0475951f, 1.3839913f, 1.2231155f, 0.5852476f, -0.3827349f, -0.5983757f, -1.0279699f, 0.1705583f, -0.0569544f] },
        {
            40,
            [
                2.2914679f, 1.0893864f, 1.9644310f, 5.5706756f, 0.9700621f, -0.2673748f, -0.5060233f, 1.2617437f, -1.0098369f, 5.9021319f,
                -0.9833204f, -3.5112271f, -0.5369592f, 2.3798563f, 1.9113980f, 0.5148621f, 5.0138290f, 0.9214485f, 4.4923378f, -0.8551573f,
                -2.6980543f, 1.4650369f, 1.0407728f, 0.3071495f, -0.7181553f, -1.7346213f, 0.8639961f, 2.2340155f, -3.6659067f, 2.1588854f,
                -1.9600116f, 1.7611378f, 0.0397748f, -1.4628272f, -1.8252194f, -1.4363106f, 0.5789437f, -0.8706252f, 3.4692426f, 2.3909048f,
            ]
        },
    };

    [Theory]
    [MemberData(nameof(KnownAnswers))]
    public void Apply_WhenKnownKeyAndVector_MatchesTheIndependentComputation(int d, float[] expected)
    {
        float[] x = [.. Enumerable.Range(0, d).Select(i => (i + 1) / 10f * (i % 2 == 0 ? 1 : -1))];
        float[] y = new float[d];
        StructuredRotation.Derive(s_key, d).Apply(x, y, new float[d]);
        Assert.Equal(expected, y, (a, b) => Math.Abs(a - b) <= 2e-6f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(384)]
    public void Apply_AgreesWithADenseMatrixBuiltFromTheSpecification(int d)
    {
        double[,] dense = DenseFromSpecification(s_key, d);
        StructuredRotation rotation = StructuredRotation.Derive(s_key, d);
        float[] e = new float[d];
        float[] column = new float[d];
        float[] scratch = new float[d];
        for (int k = 0; k < d; k++)
        {
            Array.Clear(e);
            e[k] = 1f;
            rotation.Apply(e, column, scratch);
            for (int j = 0; j < d; j++)
            {
                Assert.True(Math.Abs(column[j] - dense[j, k]) <= 1e-6, $"R[{j}, {k}] = {column[j]}, the dense construction gives {dense[j, k]}");
            }
        }
    }

    [Fact]
    public void Apply_PreservesNormsAndInnerProducts_AndInvertUndoesIt_ForAnyWidthAndKey()
    {
        Gen<(byte[] Key, float[] X, float[] Y)> cases =
            from d in Gen.Int[1, 600]
            from key in Gen.Byte.Array[32]
            from x in Gen.Float[-1f, 1f].Array[d]
            from y in Gen.Float[-1f, 1f].Array[d]
            select (key, x, y);
        cases.Sample(c =>
        {
            int d = c.X.Length;
            StructuredRotation rotation = StructuredRotation.Derive(c.Key, d);
            float[] rx = new float[d];
            float[] ry = new float[d];
            float[] scratch = new float[d];
            rotation.Apply(c.X, rx, scratch);
            rotation.Apply(c.Y, ry, scratch);
            // Float rounding moves each product by a few ulp of ‖x‖·‖y‖ (and, for subnormal coordinates, by a few of the
            // smallest float); a map that is not orthogonal moves it by O(‖x‖·‖y‖). Norms and products are taken in
            // double: in float, the squares of a vector of 1e-28s underflow to a norm of 0.
            double nx = Norm(c.X);
            double ny = Norm(c.Y);
            Assert.InRange(Math.Abs(Norm(rx) - nx), 0, (1e-5 * nx) + SubnormalFloor);
            Assert.InRange(Math.Abs(Dot(rx, ry) - Dot(c.X, c.Y)), 0, (1e-5 * nx * ny) + (SubnormalFloor * (nx + ny)));

            rotation.Invert(rx, scratch);
            Assert.Equal(c.X, rx, (a, b) => Math.Abs(a - b) <= 1e-5f);
        });
    }

    // A few hundred times float's smallest subnormal (1.4e-45): the absolute rounding of a coordinate below 1.2e-38.
    private const double SubnormalFloor = 1e-42;

    private static double Norm(float[] v) => Math.Sqrt(Dot(v, v));

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    [Fact]
    public void Encrypt_WhenSameKeyTwice_UsesTheSameRotation_AndOtherTenantsOrPathsOrTransformsAnother()
    {
        using var secret = new Secret(s_key);
        using VectorEncryptionKey a = VectorEncryptionKey.Derive(secret, TestIds.TenantA, TestIds.Model, transform: VectorKeyTransform.StructuredRotation);
        using VectorEncryptionKey again = VectorEncryptionKey.Derive(secret, TestIds.TenantA, TestIds.Model, transform: VectorKeyTransform.StructuredRotation);
        using VectorEncryptionKey otherTenant = VectorEncryptionKey.Derive(secret, TestIds.TenantB, TestIds.Model, transform: VectorKeyTransform.StructuredRotation);
        using VectorEncryptionKey otherPath = VectorEncryptionKey.Derive(secret, TestIds.TenantA, new DerivationPath("other"), transform: VectorKeyTransform.StructuredRotation);
        using VectorEncryptionKey alloy = VectorEncryptionKey.Derive(secret, TestIds.TenantA, TestIds.Model);

        // K of the rotation key is HMAC-SHA256(Alloy K, label): never the Alloy K itself.
        Assert.Equal(HMACSHA256.HashData(alloy.Key, VectorEncryptionKey.RotationKeyLabel), a.Key.ToArray());
        Assert.Null(alloy.GetRotation(48));

        float[] x = [.. Enumerable.Range(0, 48).Select(i => MathF.Sin(i + 1))];
        float[] Rotate(VectorEncryptionKey key)
        {
            float[] y = new float[x.Length];
            key.GetRotation(x.Length)!.Apply(x, y, new float[x.Length]);
            return y;
        }

        Assert.Equal(Rotate(a), Rotate(again));
        Assert.NotEqual(Rotate(a), Rotate(otherTenant));
        Assert.NotEqual(Rotate(a), Rotate(otherPath));
        Assert.NotEqual(a.GetPermutation(48), alloy.GetPermutation(48));
    }

    [Fact]
    public void Encrypt_IsScaleAndPerturbOfTheRotatedPlaintextUnderTheRotationKey()
    {
        using var secret = new Secret(s_key);
        using VeilClient client = InsecureSeededClient.Create(Configuration(secret, VectorKeyTransform.StructuredRotation), 7);
        VectorEncryptor encryptor = client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.Equal(VectorKeyTransform.StructuredRotation, encryptor.KeyTransform);
        float[] x = [.. Enumerable.Range(0, 384).Select(i => MathF.Cos(i) / 20f)];
        EncryptedVector encrypted = encryptor.Encrypt(x);

        Assert.Equal(VectorMetadataStatus.Valid, VectorMetadata.TryParse(encrypted.PairedIclInfo.Span, out _, out ReadOnlySpan<byte> iv, out ReadOnlySpan<byte> tag));
        float[] rotated = new float[384];
        encryptor.Key.GetRotation(384)!.Apply(x, rotated, new float[384]);
        float[] expected = new float[384];
        byte[] expectedTag = new byte[ScaleAndPerturb.TagLength];
        Assert.True(ScaleAndPerturb.TryEncrypt(encryptor.Key, new VectorParameters(2.5f, false), encryptor.Key.GetPermutation(384), rotated, iv, expected, expectedTag));
        Assert.Equal(expected, encrypted.Ciphertext.ToArray());
        Assert.Equal(expectedTag, tag.ToArray());
        Assert.Equal(x, encryptor.Decrypt(encrypted), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void Decrypt_WhenCiphertextOfTheOtherTransform_IsRefusedNotGarbage()
    {
        using var secret = new Secret(s_key);
        using var rotation = new VeilClient(Configuration(secret, VectorKeyTransform.StructuredRotation));
        using var permutation = new VeilClient(Configuration(secret, VectorKeyTransform.AlloyPermutation));
        float[] x = [.. Enumerable.Range(0, 64).Select(i => (i - 32) / 64f)];
        EncryptedVector byRotation = rotation.Vector.Encrypt(x, TestIds.Vec, TestIds.Model, TestIds.Tenant);
        EncryptedVector byPermutation = permutation.Vector.Encrypt(x, TestIds.Vec, TestIds.Model, TestIds.Tenant);

        Assert.Throws<AuthenticationTagMismatchException>(() => permutation.Vector.Decrypt(byRotation, TestIds.Tenant));
        Assert.Throws<AuthenticationTagMismatchException>(() => rotation.Vector.Decrypt(byPermutation, TestIds.Tenant));
        float[] output = new float[64];
        VectorEncryptor reader = permutation.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        Assert.False(reader.TryDecrypt(byRotation.Ciphertext.Span, byRotation.PairedIclInfo.Span, output));
        Assert.All(output, v => Assert.Equal(0f, v));

        // Each still reads its own.
        Assert.Equal(x, rotation.Vector.Decrypt(byRotation, TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);
        Assert.Equal(x, permutation.Vector.Decrypt(byPermutation, TestIds.Tenant), (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void BatchAndOneWay_WhenRotationKey_AgreeWithSingleVectorEncryption()
    {
        using var secret = new Secret(s_key);
        const int d = 96;
        float[] rows = [.. Enumerable.Range(0, 200 * d).Select(i => MathF.Sin(i * 0.37f) / 10f)];
        using VeilClient first = InsecureSeededClient.Create(Configuration(secret, VectorKeyTransform.StructuredRotation), 3);
        using VeilClient second = InsecureSeededClient.Create(Configuration(secret, VectorKeyTransform.StructuredRotation), 3);
        VectorEncryptor batch = first.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
        VectorEncryptor single = second.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);

        float[] ciphertexts = new float[rows.Length];
        byte[] infos = new byte[200 * VectorEncryptor.PairedIclInfoLength];
        Assert.All(batch.EncryptBatch(d, rows, ciphertexts, infos), ok => Assert.True(ok));
        for (int row = 0; row < 200; row++)
        {
            EncryptedVector one = single.Encrypt(rows.AsSpan(row * d, d));
            Assert.Equal(one.Ciphertext.ToArray(), ciphertexts.AsSpan(row * d, d).ToArray());
        }

        float[] decrypted = new float[rows.Length];
        Assert.All(batch.TryDecryptBatch(d, ciphertexts, infos, decrypted), ok => Assert.True(ok));
        Assert.Equal(rows, decrypted, (a, b) => Math.Abs(a - b) <= 1e-5f);

        // One-way ciphertexts lie within β/2 of a fresh two-way encryption of the same row (same rotation, new noise).
        float[] oneWay = batch.EncryptOneWay(rows.AsSpan(0, d));
        double distance = Math.Sqrt(oneWay.Zip(ciphertexts.AsSpan(0, d).ToArray(), (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.InRange(distance, 0, (2.5 / 2) * (1 + 1e-5));
    }

    [Fact]
    public void Search_WhenRotationKey_PreservesNeighboursAsThePermutationDoes()
    {
        // 2 000 clustered rows of d = 64 and 100 queries; recall@10 of exact search on ciphertexts against plaintext
        // search. Both transforms are orthogonal with the same noise, so the recalls differ only by noise.
        const int d = 64;
        var random = new Random(11);
        float[][] centres = [.. Enumerable.Range(0, 20).Select(_ => Normal(random, d, 1f))];
        float[][] rows = [.. Enumerable.Range(0, 2100).Select(i => Unit(Add(centres[i % 20], Normal(random, d, 0.35f))))];
        float[][] database = rows[..2000];
        float[][] queries = rows[2000..];
        using var secret = new Secret(s_key);
        double Recall(VectorKeyTransform transform)
        {
            using VeilClient client = InsecureSeededClient.Create(Configuration(secret, transform, beta: 0.5f), 5);
            VectorEncryptor encryptor = client.Vector.GetEncryptor(TestIds.Vec, TestIds.Model, TestIds.Tenant);
            float[][] cipherRows = [.. database.Select(r => encryptor.EncryptOneWay(r))];
            double hits = 0;
            foreach (float[] q in queries)
            {
                HashSet<int> truth = [.. Nearest(database, q, 10)];
                hits += Nearest(cipherRows, encryptor.EncryptOneWay(q), 10).Count(truth.Contains);
            }

            return hits / (10.0 * queries.Length);
        }

        double permutation = Recall(VectorKeyTransform.AlloyPermutation);
        double rotation = Recall(VectorKeyTransform.StructuredRotation);
        Assert.InRange(permutation, 0.3, 0.99);
        Assert.InRange(rotation - permutation, -0.05, 0.05);
    }

    private static VeilConfiguration Configuration(Secret secret, VectorKeyTransform transform, float beta = 2.5f) =>
        new(vector: TestData.VectorSection("vec", new VectorSecret(beta, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))) { KeyTransform = transform }));

    /// <summary>
    /// R = B·D₃·P₂·B·D₂·P₁·B·D₁ as a dense matrix, from the specification alone: the stream words read directly,
    /// permutations by a LINQ sort, Hadamard entries (−1)^popcount(i∧j)/√n per block.
    /// </summary>
    private static double[,] DenseFromSpecification(byte[] key, int d)
    {
        byte[] seed = HMACSHA256.HashData(key, "veil structured rotation/1 tables"u8.ToArray());
        int signWords = (d + 31) / 32;
        uint[] words = new uint[(3 * signWords) + (2 * d)];
        Span<uint> buffer = stackalloc uint[16 * ChaCha20.BlockWords];
        var stream = new ChaCha20Stream(seed, buffer);
        for (int i = 0; i < words.Length; i++)
        {
            words[i] = stream.NextUInt32();
        }

        double[][] signs = [.. Enumerable.Range(0, 3).Select(r => Enumerable.Range(0, d).Select(j => ((words[(r * signWords) + (j / 32)] >> (j % 32)) & 1) == 0 ? 1.0 : -1.0).ToArray())];
        int[][] permutations = [.. Enumerable.Range(0, 2).Select(r => Enumerable.Range(0, d).OrderBy(i => words[(3 * signWords) + (r * d) + i]).ThenBy(i => i).ToArray())];

        double[,] b = new double[d, d];
        int offset = 0;
        for (int size = 1 << 30; size > 0; size >>= 1)
        {
            if ((d & size) == 0)
            {
                continue;
            }

            for (int i = 0; i < size; i++)
            {
                for (int j = 0; j < size; j++)
                {
                    b[offset + i, offset + j] = (int.PopCount(i & j) % 2 == 0 ? 1 : -1) / Math.Sqrt(size);
                }
            }

            offset += size;
        }

        double[,] Diagonal(double[] s)
        {
            var m = new double[d, d];
            for (int i = 0; i < d; i++)
            {
                m[i, i] = s[i];
            }

            return m;
        }

        double[,] Permutation(int[] p)
        {
            var m = new double[d, d];
            for (int j = 0; j < d; j++)
            {
                m[j, p[j]] = 1;
            }

            return m;
        }

        double[,] r = Diagonal(signs[0]);
        foreach (double[,] factor in new[] { b, Permutation(permutations[0]), Diagonal(signs[1]), b, Permutation(permutations[1]), Diagonal(signs[2]), b })
        {
            r = Multiply(factor, r);
        }

        return r;
    }

    private static double[,] Multiply(double[,] left, double[,] right)
    {
        int d = left.GetLength(0);
        var product = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int k = 0; k < d; k++)
            {
                double l = left[i, k];
                if (l == 0)
                {
                    continue;
                }

                for (int j = 0; j < d; j++)
                {
                    product[i, j] += l * right[k, j];
                }
            }
        }

        return product;
    }

    private static int[] Nearest(float[][] rows, float[] query, int k) =>
        [.. Enumerable.Range(0, rows.Length).OrderBy(i => TensorPrimitives.Distance(rows[i], query)).Take(k)];

    private static float[] Normal(Random random, int d, float sigma) =>
        [.. Enumerable.Range(0, d).Select(_ => sigma * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))];

    private static float[] Add(float[] a, float[] b) => [.. a.Zip(b, (x, y) => x + y)];

    private static float[] Unit(float[] v)
    {
        float norm = TensorPrimitives.Norm(v);
        return [.. v.Select(x => x / norm)];
    }
}
