using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Veil.Embeddings.Onnx;

/// <summary>
/// Reads an embedded manifest resource straight from an assembly file with the PE and metadata readers, without
/// loading the assembly: the resource is a 4-byte little-endian length and its bytes at an offset in the CLI resources
/// directory. Every offset and length is checked against the file, so a damaged file gives an
/// <see cref="InvalidDataException"/>, never an out-of-range read.
/// </summary>
internal static class EmbeddedResourceReader
{
    public static byte[] Read(string assemblyPath, string resourceName)
    {
        try
        {
            using FileStream file = File.OpenRead(assemblyPath);
            long offset = Locate(file, assemblyPath, resourceName);
            file.Position = offset;
            Span<byte> prefix = stackalloc byte[4];
            file.ReadExactly(prefix);
            int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(prefix);
            if (length < 0 || length > file.Length - file.Position)
            {
                throw new InvalidDataException($"The resource '{resourceName}' in '{assemblyPath}' runs past the end of the file.");
            }

            byte[] bytes = new byte[length];
            file.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is BadImageFormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"'{assemblyPath}' is not a readable .NET assembly ({e.Message}).", e);
        }
    }

    /// <summary>The file offset of the resource's length prefix.</summary>
    private static long Locate(FileStream file, string assemblyPath, string resourceName)
    {
        using var pe = new PEReader(file, PEStreamOptions.LeaveOpen);
        if (!pe.HasMetadata || pe.PEHeaders.CorHeader is not { } cor)
        {
            throw new InvalidDataException($"'{assemblyPath}' is not a .NET assembly.");
        }

        MetadataReader metadata = pe.GetMetadataReader();
        foreach (ManifestResourceHandle handle in metadata.ManifestResources)
        {
            ManifestResource resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || !metadata.StringComparer.Equals(resource.Name, resourceName))
            {
                continue;
            }

            DirectoryEntry directory = cor.ResourcesDirectory;
            if (resource.Offset < 0 || resource.Offset > directory.Size - 4L)
            {
                throw new InvalidDataException($"The resource '{resourceName}' in '{assemblyPath}' lies outside the resources directory.");
            }

            int rva = directory.RelativeVirtualAddress;
            foreach (SectionHeader section in pe.PEHeaders.SectionHeaders)
            {
                if (rva >= section.VirtualAddress && (long)rva + directory.Size <= (long)section.VirtualAddress + section.SizeOfRawData)
                {
                    return (long)section.PointerToRawData + (rva - section.VirtualAddress) + resource.Offset;
                }
            }

            throw new InvalidDataException($"The resources directory of '{assemblyPath}' is in no section of the file.");
        }

        throw new InvalidDataException($"'{assemblyPath}' has no embedded resource '{resourceName}'.");
    }
}
