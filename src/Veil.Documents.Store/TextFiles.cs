using System.IO.Compression;

namespace Veil.Documents.Store;

/// <summary>Text inputs that may be gzip-compressed (recognised by gzip's magic bytes, not the file name).</summary>
internal static class TextFiles
{
    /// <summary>Opens <paramref name="path"/> as UTF-8 text, decompressing it when it starts with gzip's magic bytes.</summary>
    public static StreamReader OpenText(string path)
    {
        FileStream file = File.OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[2];
            bool gzip = file.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && head[0] == 0x1f && head[1] == 0x8b;
            file.Position = 0;
            return gzip ? new StreamReader(new GZipStream(file, CompressionMode.Decompress)) : new StreamReader(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The lines of <paramref name="path"/> (gzip or not), read as they are enumerated.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        using StreamReader reader = OpenText(path);
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
