using System.Diagnostics.CodeAnalysis;

namespace Veil.Evaluation.Training;

/// <summary>The ML.NET multiclass trainers a <see cref="VectorClassifier"/> can use.</summary>
[Experimental("VEIL001")]
public enum ClassifierTrainer
{
    /// <summary>Multiclass logistic regression (maximum entropy, L-BFGS) on mean/variance-normalised features.</summary>
    LogisticRegression,

    /// <summary>LightGBM gradient-boosted trees.</summary>
    LightGbm,
}
