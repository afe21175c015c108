// Prometheus metrics in the text exposition format, kept in memory: counters, gauges read at scrape time,
// and histograms with fixed buckets. Names follow Prometheus conventions (parley_<what>_<unit>[_total]).

type Labels = Record<string, string>;

const labelText = (labels: Labels) => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`).join(",")}}` : "";
};

/** A cheap map key for a label set (escaping waits for rendering). */
const keyOf = (labels: Labels) => {
  let key = "";
  for (const name in labels) key += `${labels[name]}\u0001`;
  return key;
};

class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1) {
    const key = keyOf(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (!this.values.size) lines.push(`${this.name} 0`);
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(value: number, labels: Labels = {}) {
    const key = keyOf(labels);
    let entry = this.series.get(key);
    if (!entry) this.series.set(key, (entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) entry.counts[i]!++;
    entry.sum += value;
    entry.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const { labels, counts, sum, count } of this.series.values()) {
      for (const [i, le] of this.buckets.entries()) lines.push(`${this.name}_bucket${labelText({ ...labels, le: String(le) })} ${counts[i]}`);
      lines.push(
        `${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`,
        `${this.name}_sum${labelText(labels)} ${sum}`,
        `${this.name}_count${labelText(labels)} ${count}`,
      );
    }
    return lines;
  }
}

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class Metrics {
  readonly httpRequests = new Counter("parley_http_requests_total", "HTTP requests answered, by method, route template and status.");
  readonly httpDuration = new Histogram("parley_http_request_duration_seconds", "Time to answer an HTTP request, by route template.", SECONDS);
  readonly messagesStored = new Counter("parley_messages_stored_total", "Messages committed.");
  readonly eventsPublished = new Counter("parley_events_published_total", "Logged events published to sockets, by type.");
  readonly uploadBytes = new Counter("parley_upload_bytes_total", "Bytes of uploaded files stored.");
  readonly dbTransactions = new Histogram("parley_db_transaction_seconds", "Time spent in write transactions (one per group commit).", SECONDS);
  private readonly readings: Array<{ name: string; help: string; type: "gauge" | "counter"; read: () => number }> = [];

  /** A value read at scrape time (open sockets; deliveries, counted where they happen). */
  reading(name: string, help: string, type: "gauge" | "counter", read: () => number) {
    this.readings.push({ name, help, type, read });
  }

  render(): string {
    const lines: string[] = [];
    for (const metric of [this.httpRequests, this.httpDuration, this.messagesStored, this.eventsPublished, this.uploadBytes, this.dbTransactions])
      lines.push(...metric.render());
    for (const { name, help, type, read } of this.readings) lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${read()}`);
    return `${lines.join("\n")}\n`;
  }
}
