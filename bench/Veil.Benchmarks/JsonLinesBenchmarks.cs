using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Veil.Keys;
using Veil.Protocol;

namespace Veil.Benchmarks;

/// <summary>
/// The CLI's JSON Lines path (<c>veil vector encrypt|decrypt</c>): lines/s through <see cref="JsonLinesProcessor"/> from
/// a file of 384-d vectors to a file (target ≥ 50 000 lines/s on 2 cores, that is ≤ 20 µs a line). Also run in one
/// pass, without BenchmarkDotNet, by <c>dotnet run -c Release --project bench/Veil.Benchmarks -- jsonl [lines]</c>.
/// Beside it the binary bulk path (<c>--format binary</c>, <see cref="BinaryBatchFrames"/>) over the same vectors.
/// </summary>
[MemoryDiagnoser]
public class JsonLinesBenchmarks
{
    private const int Lines = 20_000;
    private JsonLinesFiles _files = null!;

    [Params(384)]
    public int Dimensions { get; set; }

    [GlobalSetup]
    public void Setup() => _files = JsonLinesFiles.Create(Lines, Dimensions);

    [GlobalCleanup]
    public void Cleanup() => _files.Dispose();

    /// <summary>True: the UTF-8 stream form; false: the text form (TextReader/TextWriter) the CLI calls today.</summary>
    [Params(false, true)]
    public bool Streams { get; set; }

    [Benchmark(OperationsPerInvoke = Lines)]
    public ItemErrorCode Encrypt() => _files.Run(ItemOperations.VectorEncrypt, _files.Plaintext, Streams);

    [Benchmark(OperationsPerInvoke = Lines)]
    public ItemErrorCode Decrypt() => _files.Run(ItemOperations.VectorDecrypt, _files.Encrypted, Streams);

    [Benchmark(OperationsPerInvoke = Lines)]
    public ItemErrorCode EncryptBinary() => _files.RunBinary(ItemOperations.VectorEncrypt, _files.PlaintextBinary);

    [Benchmark(OperationsPerInvoke = Lines)]
    public ItemErrorCode DecryptBinary() => _files.RunBinary(ItemOperations.VectorDecrypt, _files.EncryptedBinary);
}

/// <summary>A plaintext and an encrypted JSON Lines file of random unit vectors, the same in binary frames, and the client that made them.</summary>
public sealed class JsonLinesFiles : IDisposable
{
    private readonly Secret _secret;
    private readonly VeilClient _client;
    private readonly string _directory;

    private JsonLinesFiles(string directory, int lines, int dimensions)
    {
        _directory = directory;
        _secret = new Secret(Enumerable.Repeat((byte)2, 64).ToArray());
        _client = new VeilClient(new VeilConfiguration(vector: new Dictionary<SecretPath, VectorSecret>
        {
            [new SecretPath("bench")] = new VectorSecret(2.5f, new RotatableSecret(new IdentifiedSecret(new KeyId(1), _secret))),
        }));
        Scope = new OperationScope(new TenantId("tenant"), new SecretPath("bench"), new DerivationPath("model"));
        LineCount = lines;
        Plaintext = Path.Combine(directory, "plain.jsonl");
        Encrypted = Path.Combine(directory, "encrypted.jsonl");
        Output = Path.Combine(directory, "out.jsonl");
        PlaintextBinary = Path.Combine(directory, "plain.bin");
        EncryptedBinary = Path.Combine(directory, "encrypted.bin");
        var random = new Random(20261205);
        using (var writer = new StreamWriter(Plaintext, false, new UTF8Encoding(false)))
        using (var binary = new FileStream(PlaintextBinary, FileMode.Create))
        {
            var vector = new float[dimensions];
            var frame = new List<ProtocolItem>(FrameItems);
            for (int i = 0; i < lines; i++)
            {
                double norm = 0;
                for (int k = 0; k < dimensions; k++)
                {
                    vector[k] = (random.NextSingle() * 2) - 1;
                    norm += vector[k] * vector[k];
                }

                writer.Write(string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"vector\":["));
                float[] unit = [.. vector.Select(v => v / (float)Math.Sqrt(norm))];
                writer.Write(string.Join(',', unit.Select(v => v.ToString(CultureInfo.InvariantCulture))));
                writer.Write("]}\n");
                frame.Add(new ProtocolItem { Id = Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)), Vector = unit });
                if (frame.Count == FrameItems || i == lines - 1)
                {
                    BinaryBatchFrames.WriteFrame(binary, frame);
                    frame.Clear();
                }
            }
        }

        Run(ItemOperations.VectorEncrypt, Plaintext, streams: true);
        File.Move(Output, Encrypted);
        RunBinary(ItemOperations.VectorEncrypt, PlaintextBinary);
        File.Move(Output, EncryptedBinary);
    }

    /// <summary>Items per frame in the binary files.</summary>
    public const int FrameItems = 4096;

    /// <summary>The plaintext vectors in binary frames of <see cref="FrameItems"/> items.</summary>
    public string PlaintextBinary { get; }

    /// <summary>The encrypted vectors in binary frames.</summary>
    public string EncryptedBinary { get; }

    /// <summary>The lines in each file.</summary>
    public int LineCount { get; }

    /// <summary>The scope every line is processed in.</summary>
    public OperationScope Scope { get; }

    /// <summary>The plaintext file (<c>{"id","vector"}</c> lines).</summary>
    public string Plaintext { get; }

    /// <summary>The encrypted file (<c>{"id","encryptedVector","pairedIclInfo"}</c> lines).</summary>
    public string Encrypted { get; }

    /// <summary>Where <see cref="Run"/> writes.</summary>
    public string Output { get; }

    /// <summary>Creates the files in a new temporary directory.</summary>
    public static JsonLinesFiles Create(int lines, int dimensions) =>
        new(Directory.CreateTempSubdirectory("veil-jsonl-bench-").FullName, lines, dimensions);

    /// <summary>Runs <paramref name="operation"/> over <paramref name="input"/> into <see cref="Output"/>, with streams or as text (as the CLI does).</summary>
    public ItemErrorCode Run(IItemOperation operation, string input, bool streams)
    {
        if (streams)
        {
            using var inputStream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var outputStream = new FileStream(Output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            return JsonLinesProcessor.Run(inputStream, outputStream, operation, _client, Scope);
        }

        using var reader = new StreamReader(input, new UTF8Encoding(false), false, 1 << 16);
        using var writer = new StreamWriter(Output, false, new UTF8Encoding(false), 1 << 16);
        return JsonLinesProcessor.Run(reader, writer, operation, _client, Scope);
    }

    /// <summary>Runs <paramref name="operation"/> on <paramref name="items"/> as one chunk (what the processing stage does).</summary>
    public IReadOnlyList<ProtocolItem> Process(IItemOperation operation, IReadOnlyList<ProtocolItem> items) =>
        operation.Process(_client, items, Scope);

    /// <summary>Runs <paramref name="operation"/> over the binary frames of <paramref name="input"/> into <see cref="Output"/>.</summary>
    public ItemErrorCode RunBinary(IItemOperation operation, string input)
    {
        using var inputStream = new FileStream(input, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var outputStream = new FileStream(Output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return BinaryBatchFrames.Run(inputStream, outputStream, operation, _client, Scope);
    }

    /// <summary>Measures encrypt and decrypt once each (after one warm-up pass) and writes lines/s.</summary>
    public static void Measure(TextWriter output, int lines, int dimensions)
    {
        using JsonLinesFiles files = Create(lines, dimensions);
        foreach ((string name, IItemOperation operation, string input) in new[] { ("encrypt", (IItemOperation)ItemOperations.VectorEncrypt, files.Plaintext), ("decrypt", ItemOperations.VectorDecrypt, files.Encrypted) })
        {
            foreach (bool streams in new[] { false, true })
            {
                files.Run(operation, input, streams);
                var clock = Stopwatch.StartNew();
                ItemErrorCode result = files.Run(operation, input, streams);
                clock.Stop();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"JSON Lines {name} ({(streams ? "UTF-8 streams" : "text reader/writer")}), d={dimensions}: {lines} lines in {clock.Elapsed.TotalSeconds:F2} s = {lines / clock.Elapsed.TotalSeconds:F0} lines/s ({Environment.ProcessorCount} cores){(result == ItemErrorCode.None ? "" : $", failures: {result}")}"));
            }
        }

        foreach ((string name, IItemOperation operation, string input) in new[] { ("encrypt", (IItemOperation)ItemOperations.VectorEncrypt, files.PlaintextBinary), ("decrypt", ItemOperations.VectorDecrypt, files.EncryptedBinary) })
        {
            files.RunBinary(operation, input);
            var clock = Stopwatch.StartNew();
            ItemErrorCode result = files.RunBinary(operation, input);
            clock.Stop();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Binary frames {name}, d={dimensions}: {lines} rows in {clock.Elapsed.TotalSeconds:F2} s = {lines / clock.Elapsed.TotalSeconds:F0} rows/s ({Environment.ProcessorCount} cores){(result == ItemErrorCode.None ? "" : $", failures: {result}")}"));
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _secret.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
