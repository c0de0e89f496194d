using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Veil.Protocol;

namespace Veil.Benchmarks;

/// <summary>
/// CPU per line of each stage of the JSON Lines path, on one thread (so the figures add up to the CPU a line costs):
/// parse a line, process a chunk (the core's batch, itself parallel), render a line; all as process CPU time, which the
/// load of other processes on the machine disturbs less than wall time. Then the whole path as the CLI runs it.
/// <c>dotnet run -c Release --project bench/Veil.Benchmarks -- jsonl-stages [lines=20000]</c>.
/// </summary>
public static class JsonLinesStages
{
    /// <summary>Measures and writes µs per line of each stage, for encrypt and decrypt.</summary>
    public static void Measure(TextWriter output, int lines, int dimensions)
    {
        using JsonLinesFiles files = JsonLinesFiles.Create(lines, dimensions);
        foreach ((string name, IItemOperation operation, string input) in new[] { ("encrypt", (IItemOperation)ItemOperations.VectorEncrypt, files.Plaintext), ("decrypt", ItemOperations.VectorDecrypt, files.Encrypted) })
        {
            byte[][] text = [.. File.ReadAllLines(input).Select(l => System.Text.Encoding.UTF8.GetBytes(l))];
            var items = new ProtocolItem[text.Length];
            IReadOnlyList<ProtocolItem> results = [];
            var buffer = new ArrayBufferWriter<byte>();
            using var writer = new Utf8JsonWriter(buffer, ProtocolJson.WriterOptions);
            for (int round = 0; round < 2; round++)
            {
                var clock = new CpuClock();
                for (int i = 0; i < text.Length; i++)
                {
                    items[i] = ProtocolJson.ParseLine(text[i], operation.RequestMembers);
                }

                double parse = clock.Microseconds / text.Length;
                clock.Restart();
                results = files.Process(operation, items);
                double process = clock.Microseconds / text.Length;
                clock.Restart();
                long bytes = 0;
                foreach (ProtocolItem item in results)
                {
                    buffer.ResetWrittenCount();
                    writer.Reset(buffer);
                    ProtocolJson.WriteItem(writer, item);
                    writer.Flush();
                    bytes += buffer.WrittenCount;
                }

                double render = clock.Microseconds / text.Length;
                if (round == 1)
                {
                    var whole = new CpuClock();
                    files.Run(operation, input, streams: true);
                    double total = whole.Microseconds / text.Length;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name}, d={dimensions}, {text.Length} lines: parse {parse:F2} µs/line (1 thread), process {process:F2} µs/line, render {render:F2} µs/line (1 thread), {bytes / text.Length} B/line out; whole path {total:F2} µs/line (CPU, user + system)"));
                }
            }
        }
    }

    /// <summary>The process's CPU time since it was made (every thread, user and system).</summary>
    private sealed class CpuClock
    {
        private TimeSpan _start = Process.GetCurrentProcess().TotalProcessorTime;

        public double Microseconds => (Process.GetCurrentProcess().TotalProcessorTime - _start).TotalMicroseconds;

        public void Restart() => _start = Process.GetCurrentProcess().TotalProcessorTime;
    }
}
