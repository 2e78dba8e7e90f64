/**
 * deploy/observability: the Grafana dashboard is well formed and queries only metrics the code
 * registers (the catalog in libs/telemetry), and Prometheus scrapes all five services.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { serviceDefaults } from '@pipewright/service-kit';
import { metricSeriesNames } from '@pipewright/telemetry';

const root = join(__dirname, '..', 'deploy', 'observability');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  'sum', 'avg', 'min', 'max', 'count', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'rate', 'irate', 'increase', 'delta', 'histogram_quantile', 'clamp_min', 'clamp_max', 'label_values', 'topk', 'bottomk', 'abs', 'time',
]);

/** The metric names a PromQL expression (or Grafana label_values query) reads. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/,\s*[a-z_]+\s*\)/g, ')') // label_values(metric, label): the label
    .replace(/\$[a-zA-Z_]+/g, ''); // Grafana variables
  const words = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(words.filter((w) => !PROMQL_WORDS.has(w)))];
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(read('grafana/dashboards/pipewright.json'));
  const panels: Panel[] = dashboard.panels.flatMap((p: Panel) => [p, ...(p.panels ?? [])]);
  const queries = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr }))),
    ...dashboard.templating.list.map((v: { name: string; query: { query: string } }) => ({ where: `variable ${v.name}`, expr: v.query.query })),
  ];

  it('has a uid, a title, a schema version and panels with unique ids on a 24-column grid', () => {
    expect(dashboard).toMatchObject({ uid: 'pipewright', title: 'Pipewright', schemaVersion: expect.any(Number) });
    expect(panels.length).toBeGreaterThan(5);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const panel of panels) {
      expect(panel).toMatchObject({ type: expect.any(String), title: expect.any(String) });
      const { x, y, w, h } = panel.gridPos;
      expect([x, y, w, h].every(Number.isInteger)).toBe(true);
      expect(x >= 0 && w > 0 && x + w <= 24 && h > 0 && y >= 0).toBe(true);
    }
  });

  it('queries Prometheus from every panel that has queries, each with a refId and an expression', () => {
    const withQueries = panels.filter((p) => p.type !== 'row');
    expect(withQueries.length).toBeGreaterThan(0);
    for (const panel of withQueries) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: 'prometheus' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets!) {
        expect(target.refId).toMatch(/^[A-Z]$/);
        expect(target.expr.trim()).not.toBe('');
      }
      expect(new Set(panel.targets!.map((t) => t.refId)).size).toBe(panel.targets!.length);
    }
  });

  it('names only metrics the services register, and shows every one of them', () => {
    const registered = new Set(metricSeriesNames());
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      const names = metricNamesIn(expr);
      expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
      for (const name of names) {
        expect({ where, name, registered: registered.has(name) }).toEqual({ where, name, registered: true });
        used.add(name);
      }
    }
    const shown = (series: string) => used.has(series) || [...used].some((u) => u.replace(/_(bucket|sum|count)$/, '') === series.replace(/_(bucket|sum|count)$/, ''));
    expect([...registered].filter((series) => !shown(series))).toEqual([]);
  });

  it('reads metric names out of PromQL', () => {
    expect(metricNamesIn('histogram_quantile(0.95, sum by (le, provider) (rate(pipewright_action_duration_seconds_bucket{status="Failed"}[5m])))')).toEqual([
      'pipewright_action_duration_seconds_bucket',
    ]);
    expect(metricNamesIn('a_total / clamp_min(sum(b_total{x=~"y|z"}), 1)')).toEqual(['a_total', 'b_total']);
    expect(metricNamesIn('label_values(pipewright_pipeline_executions_total, pipeline)')).toEqual(['pipewright_pipeline_executions_total']);
  });
});

describe('the observability compose overlay', () => {
  const compose = parse(read('compose.yaml'), { merge: true });
  const prometheus = parse(read('prometheus.yml'));

  it('runs Jaeger, Prometheus and Grafana, and has each service export metrics and traces to them', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['jaeger', 'prometheus', 'grafana']));
    for (const name of Object.keys(serviceDefaults)) {
      expect(compose.services[name].environment).toEqual({ PIPEWRIGHT_METRICS_PORT: '9464', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4317' });
    }
  });

  it('scrapes the five services on their metrics port', () => {
    const targets = prometheus.scrape_configs.flatMap((c: { static_configs: { targets: string[] }[] }) => c.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(Object.keys(serviceDefaults).map((name) => `${name}:9464`).sort());
  });

  it('provisions Prometheus and Jaeger datasources with the uids the dashboard uses', () => {
    const { datasources } = parse(read('grafana/provisioning/datasources/datasources.yaml'));
    expect(datasources.map((d: { uid: string; type: string }) => [d.uid, d.type])).toEqual([
      ['prometheus', 'prometheus'],
      ['jaeger', 'jaeger'],
    ]);
    const { providers } = parse(read('grafana/provisioning/dashboards/dashboards.yaml'));
    expect(providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    expect(compose.services.grafana.volumes).toContain('../observability/grafana/dashboards:/var/lib/grafana/dashboards:ro');
  });
});
