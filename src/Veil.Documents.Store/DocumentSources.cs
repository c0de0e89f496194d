using System.Buffers.Binary;
using System.Globalization;

namespace Veil.Documents.Store;

/// <summary>Where <c>veil ingest</c> (and the demo) read documents from, streamed in input order.</summary>
public static class DocumentSources
{
    /// <summary>JSON Lines <c>{"id","vector",…}</c>; blank lines are skipped.</summary>
    /// <exception cref="DocumentInputException">A line is malformed (thrown when it is reached).</exception>
    public static IEnumerable<(long Line, VeilDocument Document)> JsonLines(TextReader reader) => JsonLines(reader, requireVector: true);

    /// <summary>JSON Lines <c>{"id","vector"?,…}</c>; blank lines are skipped; without <paramref name="requireVector"/> a "vector" is kept as a field.</summary>
    /// <exception cref="DocumentInputException">A line is malformed (thrown when it is reached).</exception>
    public static IEnumerable<(long Line, VeilDocument Document)> JsonLines(TextReader reader, bool requireVector)
    {
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return (number, ParseLine(line, number, requireVector));
        }
    }

    /// <summary>
    /// Raw little-endian float32 rows (no header) in <paramref name="vectorsPath"/>, row-aligned with the non-blank
    /// JSON lines of <paramref name="recordsPath"/> (ids and metadata; any "vector" field there is ignored). The
    /// dimension is <paramref name="dimensions"/> or, when null, the file size divided by the number of records.
    /// </summary>
    /// <exception cref="DocumentStoreException">A file is missing or the sizes do not fit together.</exception>
    public static (int Dimensions, long Count, IEnumerable<(long Line, VeilDocument Document)> Rows) RawVectors(string vectorsPath, string recordsPath, int? dimensions)
    {
        foreach (string path in new[] { vectorsPath, recordsPath })
        {
            if (!File.Exists(path))
            {
                throw new DocumentStoreException($"Invalid options: the file '{path}' does not exist.");
            }
        }

        long count = TextFiles.ReadLines(recordsPath).LongCount(l => !string.IsNullOrWhiteSpace(l));
        long bytes = new FileInfo(vectorsPath).Length;
        if (count == 0)
        {
            throw new DocumentStoreException($"Invalid input: '{recordsPath}' has no records.");
        }

        int d = dimensions ?? (bytes % (4 * count) == 0 ? checked((int)(bytes / (4 * count)))
            : throw new DocumentStoreException(string.Create(
                CultureInfo.InvariantCulture,
                $"Invalid input: '{vectorsPath}' has {bytes} bytes, which is not {count} rows (the records in '{recordsPath}') of 4-byte floats; give --dimensions if the files are meant to differ in length.")));
        if (d <= 0 || bytes != 4L * d * count)
        {
            throw new DocumentStoreException(string.Create(
                CultureInfo.InvariantCulture,
                $"Invalid input: '{vectorsPath}' has {bytes} bytes; {count} records × {d} dimensions × 4 bytes would be {4L * d * count}."));
        }

        return (d, count, Rows(vectorsPath, recordsPath, d));
    }

    private static IEnumerable<(long Line, VeilDocument Document)> Rows(string vectorsPath, string recordsPath, int dimensions)
    {
        using FileStream vectors = File.OpenRead(vectorsPath);
        byte[] row = new byte[4 * dimensions];
        long number = 0;
        foreach (string line in TextFiles.ReadLines(recordsPath))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            VeilDocument document = ParseLine(line, number, requireVector: false);
            vectors.ReadExactly(row);
            var vector = new float[dimensions];
            for (int i = 0; i < dimensions; i++)
            {
                vector[i] = BinaryPrimitives.ReadSingleLittleEndian(row.AsSpan(4 * i));
                if (!float.IsFinite(vector[i]))
                {
                    throw new DocumentInputException(number, string.Create(CultureInfo.InvariantCulture, $"the vector of \"{document.Id}\" has a NaN or infinite element {i}"));
                }
            }

            document.Embedding = vector;
            yield return (number, document);
        }
    }

    private static VeilDocument ParseLine(string line, long number, bool requireVector)
    {
        try
        {
            return DocumentJson.Parse(line, requireVector);
        }
        catch (FormatException e)
        {
            throw new DocumentInputException(number, e.Message, e);
        }
    }
}
