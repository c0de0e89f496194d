using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.LightGbm;

namespace Veil.Evaluation.Training;

/// <summary>
/// A multiclass ML.NET model over fixed-width float vectors (plaintexts or ciphertexts: it does not know which), with
/// string labels in and out. Training and prediction are single-threaded and seeded, so runs are reproducible.
/// </summary>
[Experimental("VEIL001")]
public sealed class VectorClassifier
{
    private const string FeaturesColumn = "Features";
    private const string LabelColumn = "Label";
    private const string PredictedColumn = "PredictedLabel";

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly DataViewSchema _inputSchema;

    private VectorClassifier(MLContext ml, ITransformer model, DataViewSchema inputSchema, int dimensions)
    {
        _ml = ml;
        _model = model;
        _inputSchema = inputSchema;
        Dimensions = dimensions;
    }

    /// <summary>The width of the vectors the model takes.</summary>
    public int Dimensions { get; }

    /// <summary>Trains <paramref name="trainer"/> on <paramref name="vectors"/> labelled <paramref name="labels"/> (at least two distinct).</summary>
    public static VectorClassifier Train(IReadOnlyList<float[]> vectors, IReadOnlyList<string> labels, ClassifierTrainer trainer, int seed)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(labels);
        if (vectors.Count == 0 || vectors.Count != labels.Count)
        {
            throw new ArgumentException("Training needs one label per vector, and at least one vector.", nameof(labels));
        }

        if (labels.Distinct(StringComparer.Ordinal).Count() < 2)
        {
            throw new ArgumentException("Training needs at least two distinct labels.", nameof(labels));
        }

        int d = vectors[0].Length;
        var ml = new MLContext(seed);
        IDataView data = Load(ml, vectors, labels, d);
        var pipeline = ml.Transforms.Conversion.MapValueToKey(LabelColumn)
            .Append(Estimator(ml, trainer, seed))
            .Append(ml.Transforms.Conversion.MapKeyToValue(PredictedColumn));
        return new VectorClassifier(ml, pipeline.Fit(data), data.Schema, d);
    }

    /// <summary>Loads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not such a model.</exception>
    public static VectorClassifier Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var ml = new MLContext(0);
        ml.ComponentCatalog.RegisterAssembly(typeof(LightGbmMulticlassTrainer).Assembly);
        try
        {
            ITransformer model = ml.Model.Load(stream, out DataViewSchema schema);
            return schema.GetColumnOrNull(FeaturesColumn)?.Type is VectorDataViewType { Size: > 0 } features
                ? new VectorClassifier(ml, model, schema, features.Size)
                : throw new InvalidDataException("The model has no fixed-width Features column.");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException("The model file is not an ML.NET vector classifier.", e);
        }
    }

    /// <summary>The predicted label of each vector.</summary>
    public string[] Predict(IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Any(v => v.Length != Dimensions))
        {
            throw new ArgumentException($"The model takes vectors of {Dimensions} dimensions.", nameof(vectors));
        }

        IDataView scored = _model.Transform(Load(_ml, vectors, labels: null, Dimensions));
        return scored.GetColumn<ReadOnlyMemory<char>>(PredictedColumn).Select(p => p.ToString()).ToArray();
    }

    /// <summary>Writes the model (an ML.NET zip) to <paramref name="stream"/>.</summary>
    public void Save(Stream stream) => _ml.Model.Save(_model, _inputSchema, stream);

    private static IEstimator<ITransformer> Estimator(MLContext ml, ClassifierTrainer trainer, int seed) => trainer switch
    {
        ClassifierTrainer.LogisticRegression => ml.Transforms.NormalizeMeanVariance(FeaturesColumn)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options { NumberOfThreads = 1 })),
        ClassifierTrainer.LightGbm => ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options
        {
            NumberOfThreads = 1,
            Seed = seed,
            Silent = true,
            MinimumExampleCountPerLeaf = 5,
        }),
        _ => throw new ArgumentOutOfRangeException(nameof(trainer), trainer, "Unknown trainer."),
    };

    private static IDataView Load(MLContext ml, IReadOnlyList<float[]> vectors, IReadOnlyList<string>? labels, int dimensions)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        Row[] rows = vectors.Select((v, i) => v.Length == dimensions
            ? new Row { Features = v, Label = labels?[i] ?? string.Empty }
            : throw new ArgumentException("Every vector must have the same dimension.", nameof(vectors))).ToArray();
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = string.Empty;
    }
}
