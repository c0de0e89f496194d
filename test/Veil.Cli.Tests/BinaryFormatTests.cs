using System.Buffers;
using System.Text;
using Veil.Cli.Tests.Support;
using Veil.Configuration;
using Veil.Insecure;
using Veil.Protocol;

namespace Veil.Cli.Tests;

/// <summary>
/// <c>--format binary</c>: the vector commands read and write the key service's binary batches in length-prefixed
/// frames; a run round trips, writes the bytes the service would answer with, and stops cleanly on a bad frame.
/// </summary>
public sealed class BinaryFormatTests : IDisposable
{
    private readonly TempConfig _config = new(TestKeys.RotatingConfig());

    public void Dispose() => _config.Dispose();

    [Fact]
    public async Task VectorEncryptThenDecrypt_InBinary_GivesBackTheVectors_AndTheServicesBytes()
    {
        ProtocolItem[] items = [.. Enumerable.Range(0, 300).Select(i => new ProtocolItem { Id = Encoding.UTF8.GetBytes($"{i}"), Vector = new[] { i * 0.001f, -i * 0.002f, 0.5f } })];
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, items[..200]);
        BinaryBatchFrames.WriteFrame(input, items[200..]);

        (int encryptCode, byte[] encrypted, _) = await RunAsync(input.ToArray(), "encrypt");
        (int decryptCode, byte[] decrypted, _) = await RunAsync(encrypted, "decrypt");

        Assert.Equal((ExitCodes.Success, ExitCodes.Success), (encryptCode, decryptCode));

        // The seeded CLI run writes, frame by frame, exactly what the service writes for the same items and seed.
        using VeilClient client = InsecureSeededClient.Create(ConfigFile.Parse(TestKeys.RotatingConfig()), 99);
        var expected = new MemoryStream();
        BinaryBatchFrames.WriteFrame(expected, ItemOperations.VectorEncrypt.Process(client, items[..200], Scope));
        BinaryBatchFrames.WriteFrame(expected, ItemOperations.VectorEncrypt.Process(client, items[200..], Scope));
        Assert.Equal(expected.ToArray(), encrypted);

        var back = new MemoryStream(decrypted);
        List<ProtocolItem> results = [.. BinaryBatchFrames.ReadFrame(back, ItemMembers.Vector)!, .. BinaryBatchFrames.ReadFrame(back, ItemMembers.Vector)!];
        Assert.Null(BinaryBatchFrames.ReadFrame(back, ItemMembers.Vector));
        Assert.Equal(items.Length, results.Count);
        for (int i = 0; i < items.Length; i++)
        {
            Assert.Equal(items[i].Id!.Value.ToArray(), results[i].Id!.Value.ToArray());
            Assert.All(items[i].Vector!.Value.ToArray().Zip(results[i].Vector!.Value.ToArray()), p => Assert.Equal(p.First, p.Second, 1e-4f));
        }
    }

    [Fact]
    public async Task VectorEncrypt_InBinary_EncryptsWhatTheJsonLinesRunEncrypts()
    {
        float[][] vectors = [.. Enumerable.Range(0, 50).Select(i => new[] { i * 0.1f, 1f, -0.5f })];
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [.. vectors.Select(v => new ProtocolItem { Vector = v })]);
        string lines = string.Concat(vectors.Select(v => System.Text.Json.JsonSerializer.Serialize(new { vector = v }) + "\n"));

        (_, byte[] binary, _) = await RunAsync(input.ToArray(), "encrypt");
        CliResult json = await VeilCli.RunAsync(lines, Args("encrypt", "jsonl"));

        IReadOnlyList<ProtocolItem> items = BinaryBatchFrames.ReadFrame(new MemoryStream(binary), ItemMembers.All)!;
        for (int i = 0; i < vectors.Length; i++)
        {
            Assert.Equal(VeilCli.Floats(json.Json[i].GetProperty("encryptedVector")), items[i].EncryptedVector!.Value.ToArray());
            Assert.Equal(json.Json[i].GetProperty("pairedIclInfo").GetString(), Convert.ToBase64String(items[i].PairedIclInfo!));
        }
    }

    [Fact]
    public async Task VectorDecrypt_WhenAFrameIsTruncatedOrGarbled_StopsWithAMessageAndExitCode2()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new ProtocolItem { Vector = new[] { 0.25f, 0.5f } }]);
        (_, byte[] encrypted, _) = await RunAsync(input.ToArray(), "encrypt");
        byte[] garbled = [.. encrypted];
        garbled[4] = (byte)'X'; // the magic

        (int truncatedCode, byte[] truncatedOut, string truncatedError) = await RunAsync([.. encrypted, .. encrypted[..^3]], "decrypt");
        (int garbledCode, byte[] garbledOut, string garbledError) = await RunAsync(garbled, "decrypt");

        Assert.Equal((ExitCodes.Failed, ExitCodes.Failed), (truncatedCode, garbledCode));
        Assert.Contains("veil: invalid binary input: Frame 1: the input ends after", truncatedError, StringComparison.Ordinal);
        Assert.Contains("veil: invalid binary input: Frame 0: The body is not a VBR1 binary batch.", garbledError, StringComparison.Ordinal);
        Assert.Single(BinaryBatchFrames.ReadFrame(new MemoryStream(truncatedOut), ItemMembers.Vector)!); // the good frame before it
        Assert.Empty(garbledOut);
    }

    [Fact]
    public async Task VectorDecrypt_InBinary_WhenACiphertextIsTampered_FailsThatItemAlone_WithExitCode3()
    {
        var input = new MemoryStream();
        BinaryBatchFrames.WriteFrame(input, [new ProtocolItem { Vector = new[] { 0.25f, 0.5f } }, new ProtocolItem { Vector = new[] { 1f, 2f } }]);
        (_, byte[] encrypted, _) = await RunAsync(input.ToArray(), "encrypt");
        List<ProtocolItem> items = [.. BinaryBatchFrames.ReadFrame(new MemoryStream(encrypted), ItemMembers.All)!];
        float[] ciphertext = items[0].EncryptedVector!.Value.ToArray();
        ciphertext[1] += 1f;
        items[0].EncryptedVector = ciphertext;
        var tampered = new MemoryStream();
        BinaryBatchFrames.WriteFrame(tampered, items);

        (int code, byte[] output, _) = await RunAsync(tampered.ToArray(), "decrypt");

        IReadOnlyList<ProtocolItem> results = BinaryBatchFrames.ReadFrame(new MemoryStream(output), ItemMembers.All)!;
        Assert.Equal(ExitCodes.IntegrityFailure, code);
        Assert.Equal(ItemErrorCode.Integrity, results[0].ErrorCode);
        Assert.Equal(new[] { 1f, 2f }, results[1].Vector!.Value.ToArray().Select(v => MathF.Round(v, 3)));
    }

    [Fact]
    public async Task Binary_WhenStdinIsNotAByteStream_IsAUsageError()
    {
        CliResult result = await VeilCli.RunAsync("", Args("encrypt", "binary"));

        Assert.Equal(ExitCodes.InvalidOptions, result.ExitCode);
        Assert.Contains("--format binary needs standard input and output as byte streams", result.Stderr, StringComparison.Ordinal);
    }

    private static OperationScope Scope { get; } = new(new("t"), new("p"), new("d"));

    private string[] Args(string verb, string format) =>
        ["vector", verb, "--config", _config.Path, "--tenant", "t", "--secret-path", "p", "--derivation-path", "d", "--insecure-seed", "99", "--format", format];

    private async Task<(int ExitCode, byte[] Stdout, string Stderr)> RunAsync(byte[] input, string verb)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        using var stdin = new StreamReader(new MemoryStream(input), encoding);
        var stdoutBytes = new MemoryStream();
        using var stdout = new StreamWriter(stdoutBytes, encoding, leaveOpen: true);
        using var stderr = new StringWriter();
        int exitCode = await CliApp.RunAsync(Args(verb, "binary"), stdin, stdout, stderr);
        await stdout.FlushAsync();
        return (exitCode, stdoutBytes.ToArray(), stderr.ToString());
    }
}
