using System.Globalization;
using Veil.Cli.Commands.OptionGroups;
using Veil.Documents.Store;
using Veil.Keys;
using Veil.Protocol;
using Veil.Vectors;

namespace Veil.Cli.Commands;

/// <summary>
/// <c>veil encrypt-dataset</c>: encrypts labelled vectors one-way with a key from the configuration and writes them as
/// Parquet for data scientists (see <see cref="OneWayDataset"/>): ids, labels and ciphertexts, the key's description in
/// the file's metadata, nothing that decrypts. Train on it with <c>veil train --ciphertexts</c>, no key needed.
/// </summary>
internal sealed class EncryptDatasetCommand : VeilCommand
{
    private readonly LabelledVectorsInput _input = new(minimumRows: 1);
    private readonly ClientOptions _client = new();
    private readonly KeyScopeOptions _scope = new(required: false);

    public EncryptDatasetCommand(CliConsole console)
        : base(console, "encrypt-dataset", "Encrypt labelled vectors one-way with your key and write them as Parquet for training elsewhere: columns id, label, vector (the ciphertext), and the key's name in the file's metadata; no key, nothing that decrypts. Train on it with veil train --ciphertexts.")
    {
        _client.AddTo(this);
        _scope.AddTo(this);
        this.Add(OutputOption);
        _input.AddTo(this);
        SetAction((parseResult, cancellationToken) => Task.FromResult(Run(parseResult)));
    }

    private readonly Option<string> OutputOption = new("--output") { Description = "The Parquet file to write (replaced if it exists).", Required = true };

    private int Run(ParseResult parseResult)
    {
        string output = parseResult.GetRequiredValue(OutputOption);
        OperationScope scope = _scope.Read(parseResult);
        return _client.Run(
            parseResult,
            Terminal,
            c => c.EnsureConfigured(KeysetSection.Vector, scope.SecretPath),
            client =>
            {
                LabelledVectors rows = _input.Load(parseResult, Terminal.Error, Name);
                var progress = new TextProgress(Terminal.Error, "veil encrypt-dataset", "vectors", rows.Vectors.Length);
                VectorKeyDescription key = OneWayDataset.Write(output, rows, client.Vector.GetEncryptor(scope.SecretPath, scope.DerivationPath, scope.Tenant), scope.Tenant, progress);
                progress.Finish("encrypted one-way");
                Terminal.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"veil encrypt-dataset: wrote {output}: {rows.Vectors.Length} rows × {rows.Dimensions}, {rows.Labels.Count(l => l is not null)} labelled, key id {key.KeyId} of \"{key.SecretPath}\" for tenant \"{key.Tenant}\", β = {key.Beta}"));
                return ExitCodes.Success;
            });
    }
}
