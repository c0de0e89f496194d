using System.Text;

namespace Veil.Cli;

internal static class Program
{
    private const int BufferSize = 1 << 16;

    private static async Task<int> Main(string[] args)
    {
        var encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        using var input = new StreamReader(Console.OpenStandardInput(), encoding, detectEncodingFromByteOrderMarks: true, BufferSize);
        using var output = new StreamWriter(Console.OpenStandardOutput(), encoding, BufferSize) { AutoFlush = false };
        using var error = new StreamWriter(Console.OpenStandardError(), encoding) { AutoFlush = true };
        try
        {
            return await CliApp.RunAsync(args, input, output, error).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The one catch-all: anything a command did not handle. Core messages never contain secrets or plaintext.
            await error.WriteLineAsync($"veil: unexpected error: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        finally
        {
            await output.FlushAsync().ConfigureAwait(false);
        }
    }
}
