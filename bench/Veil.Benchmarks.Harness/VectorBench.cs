using System.Diagnostics;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Benchmarks.Harness;

/// <summary>One dimension's measurements; every figure comes from the same run, so the ratios are like for like.</summary>
public sealed record VectorBenchResult(
    int Dimensions,
    double EncryptMicroseconds,
    double DecryptMicroseconds,
    double FloorMicroseconds,
    double EncryptToFloor,
    double DecryptToFloor,
    double BatchVectorsPerSecond,
    int BatchRows,
    double? AlloyEncryptMicroseconds)
{
    /// <summary>How many times faster than Alloy's published Rust figure (2019 laptop), when there is one.</summary>
    public double? SpeedupOverAlloy => AlloyEncryptMicroseconds / EncryptMicroseconds;
}

/// <summary>
/// Measures single-vector encrypt and decrypt, the construction floor (the ChaCha20 keystream the sampler consumes
/// plus HMAC-SHA256 over the 4·d ciphertext bytes) and batch throughput on every core. Encrypt, decrypt and floor run
/// in interleaved rounds so that noise from other processes hits all three alike; each figure is the median over
/// rounds, and each ratio the median of the per-round ratios.
/// </summary>
public static class VectorBench
{
    /// <summary>Alloy's published standalone vector_encrypt medians (criterion, i9-9880H, 2024-08-30).</summary>
    public static readonly IReadOnlyDictionary<int, double> AlloyEncryptMicroseconds = new Dictionary<int, double>
    {
        [384] = 17.573,
        [768] = 32.547,
        [1536] = 61.498,
        [2048] = 88.124,
    };

    /// <summary>Measures encryption and decryption of <paramref name="dimensions"/>-d vectors.</summary>
    /// <param name="dimensions">The vectors' dimension.</param>
    /// <param name="rounds">How many single-vector rounds (the median is reported).</param>
    /// <param name="batchRows">How many vectors the batch throughput is measured over.</param>
    /// <returns>The figures.</returns>
    public static VectorBenchResult Measure(int dimensions, int rounds, int batchRows)
    {
        using var secret = new Secret(Enumerable.Range(0, 64).Select(i => unchecked((byte)(i * 7))).ToArray());
        using var client = new VeilClient(new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), secret))),
        }));
        VectorEncryptor encryptor = client.Vector.GetEncryptor(new SecretPath("bench"), new DerivationPath("model"), new TenantId("tenant"));

        var random = new Random(20261123);
        float[] plaintext = RandomVector(random, dimensions);
        var ciphertext = new float[dimensions];
        var decrypted = new float[dimensions];
        var info = new byte[VectorEncryptor.PairedIclInfoLength];
        using var floorWork = new ConstructionFloorWorkload(dimensions);
        encryptor.Encrypt(plaintext, ciphertext, info);

        void Encrypt() => encryptor.Encrypt(plaintext, ciphertext, info);
        void Decrypt() => encryptor.TryDecrypt(ciphertext, info, decrypted);
        void Floor() => floorWork.Run(ciphertext);

        // Warm up (the tiered JIT promotes hot methods to optimised code in the background, which takes a few hundred
        // milliseconds of calls), then size a round to ~2 ms.
        int perRound = CalibrateAndWarm(Encrypt, Decrypt, Floor);
        var encrypt = new double[rounds];
        var decrypt = new double[rounds];
        var floor = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            encrypt[r] = Time(Encrypt, perRound);
            decrypt[r] = Time(Decrypt, perRound);
            floor[r] = Time(Floor, perRound);
        }

        double batch = MeasureBatch(encryptor, dimensions, batchRows, random);
        return new VectorBenchResult(
            dimensions,
            Median(encrypt),
            Median(decrypt),
            Median(floor),
            Median(encrypt.Zip(floor, (e, f) => e / f)),
            Median(decrypt.Zip(floor, (d, f) => d / f)),
            batch,
            batchRows,
            AlloyEncryptMicroseconds.TryGetValue(dimensions, out double alloy) ? alloy : null);
    }

    private static double MeasureBatch(VectorEncryptor encryptor, int dimensions, int rows, Random random)
    {
        float[] plaintexts = RandomVector(random, rows * dimensions);
        var ciphertexts = new float[rows * dimensions];
        var infos = new byte[rows * VectorEncryptor.PairedIclInfoLength];
        encryptor.EncryptBatch(dimensions, plaintexts, ciphertexts, infos);
        var rates = new double[5];
        for (int i = 0; i < rates.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            encryptor.EncryptBatch(dimensions, plaintexts, ciphertexts, infos);
            rates[i] = rows / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        return Median(rates);
    }

    private static int CalibrateAndWarm(Action encrypt, Action decrypt, Action floor)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 600)
        {
            for (int i = 0; i < 100; i++)
            {
                encrypt();
                decrypt();
                floor();
            }
        }

        double microseconds = Time(encrypt, 200);
        return Math.Clamp((int)(2000 / Math.Max(microseconds, 0.01)), 20, 20_000);
    }

    private static double Time(Action action, int count)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            action();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds / count;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static float[] RandomVector(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextSingle() * 2) - 1;
        }

        return values;
    }
}
