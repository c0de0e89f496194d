using System.Globalization;
using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Vectors;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil encrypt-dataset</c>: encrypts labelled vectors one-way with a key from the configuration and writes them as
/// Parquet for data scientists (see <see cref="OneWayDataset"/>): ids, labels and ciphertexts, the key's description in
/// the file's metadata, nothing that decrypts. Train on it with <c>veil train --ciphertexts</c>, no key needed.
/// </summary>
internal sealed class EncryptDatasetCommand : Command
{
    private readonly CliConsole _console;
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ModelKeyOptions _key = new();

    public EncryptDatasetCommand(CliConsole console)
        : base("encrypt-dataset", "Encrypt labelled vectors one-way with your key and write them as Parquet for training elsewhere: columns id, label, vector (the ciphertext), and the key's name in the file's metadata; no key, nothing that decrypts. Train on it with veil train --ciphertexts.")
    {
        _console = console;
        _key.AddTo(this);
        this.Add(OutputOption);
        _input.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult)));
    }

    private readonly Option<string> OutputOption = Opt<string>("--output", "The Parquet file to write (replaced if it exists).").AsRequired();

    private int Run(ParseResult parseResult)
    {
        string output = parseResult.GetRequiredValue(OutputOption);
        (SecretPath secretPath, DerivationPath derivationPath, TenantId tenant) = _key.Scope(parseResult);
        return _key.Run(
            _console,
            parseResult,
            secretPath,
            client =>
            {
                LabelledVectors rows = _input.Load(parseResult, _console.Error, Name);
                var progress = new TextProgress(_console.Error, "veil encrypt-dataset", "vectors", rows.Vectors.Length);
                VectorKeyDescription key = OneWayDataset.Write(output, rows, client.Vector.GetEncryptor(secretPath, derivationPath, tenant), tenant, progress);
                progress.Finish("encrypted one-way");
                _console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"veil encrypt-dataset: wrote {output}: {rows.Vectors.Length} rows × {rows.Dimensions}, {rows.Labels.Count(l => l is not null)} labelled, key id {key.KeyId} of \"{key.SecretPath}\" for tenant \"{key.Tenant}\", β = {key.Beta}"));
                return ExitCodes.Success;
            });
    }
}
