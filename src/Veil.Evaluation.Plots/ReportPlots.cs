using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using ScottPlot;

namespace Veil.Evaluation.Plots;

/// <summary>
/// The PNG plots of an <see cref="EvaluationSeries"/> (ScottPlot, rendered headless): utility and attack success against
/// β on one axis, L1 re-identification against the number of known pairs, the membership ROC and the L10 canonical
/// correlations. Points are means over the seeds; error bars are ± one standard deviation.
/// </summary>
[Experimental("VEIL001")]
public static class ReportPlots
{
    private const int Height = 560;
    private static readonly ScottPlot.Palettes.Category10 s_palette = new();

    /// <summary>
    /// Writes the whole report into <paramref name="directory"/>: the plots, <c>report.json</c> (every number, see
    /// <see cref="ReportWriter.ToJson"/>) and <c>report.md</c> (the tables with the plots, see <see cref="ReportWriter.ToMarkdown"/>).
    /// </summary>
    /// <param name="series">The evaluation.</param>
    /// <param name="directory">The directory (created if missing; the files are replaced).</param>
    /// <returns>How many plots were written.</returns>
    public static int SaveReport(EvaluationSeries series, string directory)
    {
        IReadOnlyList<(string Title, string Path)> figures = Save(series, directory);
        File.WriteAllText(System.IO.Path.Combine(directory, "report.json"), ReportWriter.ToJson(series) + "\n");
        File.WriteAllText(System.IO.Path.Combine(directory, "report.md"), ReportWriter.ToMarkdown(series, figures));
        return figures.Count;
    }

    /// <summary>Writes the plots into <paramref name="directory"/>; returns each one's title and file name.</summary>
    public static IReadOnlyList<(string Title, string Path)> Save(EvaluationSeries series, string directory)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        // The first two carry their legend outside, on the right.
        (string Title, string Path, Plot Plot, int Width)[] plots =
        [
            ("Utility and attack success against β", "beta-tradeoff.png", Tradeoff(series), 1100),
            ("L1 ridge: top-1 re-identification against the number of known pairs", "known-pairs.png", KnownPairs(series), 1000),
            ("L6 membership inference with an encryption oracle: ROC", "membership-roc.png", Roc(series), 900),
            ("L10: held-out canonical correlations between plaintexts and ciphertexts", "cca-correlations.png", Canonical(series), 900),
        ];
        foreach ((string title, string path, Plot plot, int width) in plots)
        {
            plot.Title(title);
            plot.SavePng(System.IO.Path.Combine(directory, path), width, Height);
        }

        return plots.Select(p => (p.Title, p.Path)).ToArray();
    }

    private static Plot Tradeoff(EvaluationSeries series)
    {
        IReadOnlyList<EvaluationReport> runs = series.Runs;
        SchemeEvaluation template = runs[0].Encrypted[0];
        int rerank = template.Rerank.Count - 1 - template.Rerank.Reverse().TakeWhile(r => r.Candidates > runs[0].Options.RerankBudget).Count();
        int recall10 = template.Recall.ToList().FindIndex(r => r.Metric == DistanceMetric.L2 && r.K == 10);
        int procrustes = template.KnownPairs.Count - 1;
        int ridge = Enumerable.Range(0, template.KnownPairs.Count).Where(k => template.KnownPairs[k].Attack.StartsWith("L1", StringComparison.Ordinal))
            .MinBy(k => Math.Abs(template.KnownPairs[k].Pairs - runs[0].Dimensions));
        var plot = new Plot();
        if (recall10 >= 0)
        {
            Series(plot, runs, s => s.Recall[recall10].Recall, "utility: recall@10, exact encrypted search", dashed: false);
        }

        if (rerank >= 0)
        {
            Series(plot, runs, s => s.Rerank[rerank].Recall, F($"utility: recall@10 re-ranked, K′ = {template.Rerank[rerank].Candidates}"), dashed: false);
        }

        Series(plot, runs, s => s.Clustering.AdjustedRandIndex, "utility: k-means ARI vs plaintext clustering", dashed: false);
        Series(plot, runs, s => s.KnownPairs[ridge].Top1, F($"L1 ridge top-1, N = {template.KnownPairs[ridge].Pairs} known pairs"), dashed: true);
        Series(plot, runs, s => s.KnownPairs[procrustes].Top1, F($"L2 Procrustes top-1, N = {template.KnownPairs[procrustes].Pairs} known pairs"), dashed: true);
        Series(plot, runs, s => s.Alignment.Top1, "L3 top-1, ciphertexts only + public corpus", dashed: true);
        Series(plot, runs, s => s.Membership.Advantage, "L6 membership advantage, oracle", dashed: true);
        if (template.Probe is not null)
        {
            Series(plot, runs, s => ReportWriter.ProbeRatio(runs[0], s), "L8 attribute probe, fraction of plaintext gain", dashed: true);
        }

        Series(plot, runs, s => s.DistanceSpearman, "L9 distance Spearman ρ", dashed: true);
        plot.XLabel("β (approximation factor)");
        plot.YLabel("utility (solid) / attack success (dashed)");
        plot.Axes.SetLimitsY(-0.02, 1.05);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot KnownPairs(EvaluationSeries series)
    {
        IReadOnlyList<EvaluationReport> runs = series.Runs;
        int[] ridge = Enumerable.Range(0, runs[0].Plaintext.KnownPairs.Count)
            .Where(k => runs[0].Plaintext.KnownPairs[k].Attack.StartsWith("L1", StringComparison.Ordinal)).ToArray();
        double[] pairs = ridge.Select(k => (double)runs[0].Plaintext.KnownPairs[k].Pairs).ToArray();
        var plot = new Plot();
        Curve(plot, pairs, ridge.Select(k => Stats(runs.Select(r => r.Plaintext.KnownPairs[k].Top1))).ToArray(), "plaintext (upper bound)", LinePattern.Dotted);
        for (int b = 0; b < runs[0].Encrypted.Count; b++)
        {
            int beta = b;
            Curve(plot, pairs, ridge.Select(k => Stats(runs.Select(r => r.Encrypted[beta].KnownPairs[k].Top1))).ToArray(), F($"β = {runs[0].Encrypted[b].Beta}"), LinePattern.Solid);
        }

        Curve(plot, pairs, pairs.Select(_ => (runs[0].Random.Top1, 0.0)).ToArray(), "random", LinePattern.Dashed, Colors.Gray);
        plot.XLabel(F($"known (plaintext, ciphertext) pairs N  (d = {runs[0].Dimensions})"));
        plot.YLabel(F($"top-1 re-identification among {runs[0].Random.CandidatePool}"));
        plot.Axes.SetLimitsY(-0.02, 1.05);
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static Plot Roc(EvaluationSeries series)
    {
        EvaluationReport run = series.Runs[0];
        var plot = new Plot();
        foreach (SchemeEvaluation scheme in run.Encrypted.Prepend(run.Plaintext))
        {
            ScottPlot.Plottables.Scatter line = Line(
                plot, scheme.Membership.Roc.Select(p => p.FalsePositiveRate).ToArray(), scheme.Membership.Roc.Select(p => p.TruePositiveRate).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 2;
            line.LegendText = scheme.Beta is { } beta ? F($"β = {beta} (AUC {scheme.Membership.Auc:F3})") : "plaintext";
        }

        ScottPlot.Plottables.Scatter chance = plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 0, 1 });
        chance.LinePattern = LinePattern.Dashed;
        chance.Color = Colors.Gray;
        chance.MarkerSize = 0;
        chance.LegendText = "random";
        plot.XLabel("false-positive rate (non-members called members)");
        plot.YLabel(F($"true-positive rate  (seed {run.Options.Seed})"));
        plot.Axes.SetLimits(-0.01, 1.01, -0.01, 1.01);
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot Canonical(EvaluationSeries series)
    {
        IReadOnlyList<EvaluationReport> runs = series.Runs;
        var plot = new Plot();
        void Add(Func<EvaluationReport, CcaResult> cca, string label, LinePattern pattern, Color? color = null)
        {
            int count = cca(runs[0]).Correlations.Count;
            double[] index = Enumerable.Range(1, count).Select(i => (double)i).ToArray();
            Curve(plot, index, Enumerable.Range(0, count).Select(i => Stats(runs.Select(r => cca(r).Correlations[i]))).ToArray(), label, pattern, color);
        }

        for (int b = 0; b < runs[0].Encrypted.Count; b++)
        {
            int beta = b;
            Add(r => r.Encrypted[beta].Cca, F($"β = {runs[0].Encrypted[b].Beta} (Î = {runs.Average(r => r.Encrypted[beta].Cca.MutualInformation):F1} nats)"), LinePattern.Solid);
        }

        Add(r => r.Random.Cca, "random pairing", LinePattern.Dashed, Colors.Gray);
        plot.XLabel("canonical component (ordered by the fitted correlation)");
        plot.YLabel("held-out correlation ρ");
        plot.Axes.SetLimitsY(-0.1, 1.05);
        plot.ShowLegend(Alignment.LowerLeft);
        return plot;
    }

    private static void Series(Plot plot, IReadOnlyList<EvaluationReport> runs, Func<SchemeEvaluation, double> value, string label, bool dashed)
    {
        double[] betas = runs[0].Encrypted.Select(e => e.Beta!.Value).ToArray();
        (double Mean, double Std)[] points = Enumerable.Range(0, betas.Length).Select(b => Stats(runs.Select(r => value(r.Encrypted[b])))).ToArray();
        Curve(plot, betas, points, label, dashed ? LinePattern.Dashed : LinePattern.Solid);
    }

    /// <summary>A line in the next palette colour (error bars would otherwise take palette colours too).</summary>
    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, double[] ys)
    {
        int index = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Count();
        ScottPlot.Plottables.Scatter line = plot.Add.Scatter(xs, ys);
        line.Color = s_palette.GetColor(index);
        return line;
    }

    private static void Curve(Plot plot, double[] xs, (double Mean, double Std)[] points, string label, LinePattern pattern, Color? color = null)
    {
        double[] ys = points.Select(p => p.Mean).ToArray();
        ScottPlot.Plottables.Scatter line = Line(plot, xs, ys);
        line.Color = color ?? line.Color;
        line.LegendText = label;
        line.LinePattern = pattern;
        line.LineWidth = 2;
        line.MarkerSize = xs.Length > 40 ? 0 : 5;
        if (points.Any(p => p.Std > 0))
        {
            ScottPlot.Plottables.ErrorBar bars = plot.Add.ErrorBar(xs, ys, points.Select(p => p.Std).ToArray());
            bars.Color = line.Color;
        }
    }

    private static (double Mean, double Std) Stats(IEnumerable<double> values)
    {
        double[] v = values.ToArray();
        double mean = v.Average();
        return (mean, v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0);
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
