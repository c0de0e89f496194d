using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Veil.Service;

/// <summary>
/// The key service's instruments on the <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>
/// (collect them with OpenTelemetry's <c>AddMeter("Veil.Service")</c>, or <c>dotnet-counters</c>), and the service's
/// own <c>/metrics</c> text, rendered from the same measurements through a <see cref="MeterListener"/>. Tags hold the
/// operation and the HTTP status only: never a client, tenant, path or value.
/// </summary>
internal sealed class ServiceMetrics : IDisposable
{
    /// <summary>The name of the service's meter and activity source.</summary>
    public const string MeterName = "Veil.Service";

    /// <summary>The request spans: one per key service request, tagged with the operation and the status.</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private const string OperationTag = "veil.operation";
    private const string StatusTag = "http.response.status_code";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _items;
    private readonly Histogram<double> _duration;
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<(string Operation, int Status), long> _requestTotals = new();
    private readonly ConcurrentDictionary<string, long> _itemTotals = new(StringComparer.Ordinal);

    public ServiceMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _requests = _meter.CreateCounter<long>("veil.service.requests", "{request}", "Key service requests answered, by operation and HTTP status.");
        _items = _meter.CreateCounter<long>("veil.service.items", "{item}", "Items of key service requests answered with 200, by operation.");
        _duration = _meter.CreateHistogram<double>("veil.service.request.duration", "s", "Time to answer a key service request, by operation and HTTP status.");
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == _meter && (instrument == _requests || instrument == _items))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Counts one answered request, and its items when it succeeded.</summary>
    public void Record(string operation, int status, int items)
    {
        _requests.Add(1, new KeyValuePair<string, object?>(OperationTag, operation), new KeyValuePair<string, object?>(StatusTag, status));
        if (status == 200)
        {
            _items.Add(items, new KeyValuePair<string, object?>(OperationTag, operation));
        }
    }

    /// <summary>Records how long a request took.</summary>
    public void RecordDuration(string operation, int status, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(OperationTag, operation), new KeyValuePair<string, object?>(StatusTag, status));

    /// <summary>The counters as Prometheus text (<c>veil_requests_total</c>, <c>veil_items_total</c>).</summary>
    public string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# TYPE veil_requests_total counter");
        foreach (KeyValuePair<(string Operation, int Status), long> entry in _requestTotals.OrderBy(e => e.Key.Operation, StringComparer.Ordinal).ThenBy(e => e.Key.Status))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"veil_requests_total{{operation=\"{entry.Key.Operation}\",status=\"{entry.Key.Status}\"}} {entry.Value}");
        }

        text.AppendLine("# TYPE veil_items_total counter");
        foreach (KeyValuePair<string, long> entry in _itemTotals.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"veil_items_total{{operation=\"{entry.Key}\"}} {entry.Value}");
        }

        return text.ToString();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meter.Dispose();
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        string operation = "";
        int status = 0;
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            if (tag.Key == OperationTag && tag.Value is string o)
            {
                operation = o;
            }
            else if (tag.Key == StatusTag && tag.Value is int s)
            {
                status = s;
            }
        }

        if (instrument == _requests)
        {
            _requestTotals.AddOrUpdate((operation, status), value, (_, n) => n + value);
        }
        else
        {
            _itemTotals.AddOrUpdate(operation, value, (_, n) => n + value);
        }
    }
}
