using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Veil.Service;

/// <summary>Simple counters, served as Prometheus-style text by <c>/metrics</c>.</summary>
internal sealed class ServiceMetrics
{
    private readonly ConcurrentDictionary<(string Operation, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, long> _items = new(StringComparer.Ordinal);

    public void Record(string operation, int status, int items)
    {
        _requests.AddOrUpdate((operation, status), 1, (_, n) => n + 1);
        if (status == 200)
        {
            _items.AddOrUpdate(operation, items, (_, n) => n + items);
        }
    }

    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# TYPE veil_requests_total counter");
        foreach (KeyValuePair<(string Operation, int Status), long> entry in _requests.OrderBy(e => e.Key.Operation, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"veil_requests_total{{operation=\"{entry.Key.Operation}\",status=\"{entry.Key.Status}\"}} {entry.Value}");
        }

        text.AppendLine("# TYPE veil_items_total counter");
        foreach (KeyValuePair<string, long> entry in _items.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"veil_items_total{{operation=\"{entry.Key}\"}} {entry.Value}");
        }

        return text.ToString();
    }
}
