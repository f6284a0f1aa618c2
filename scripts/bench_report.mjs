// make bench's report: turns the raw runs of scripts/bench.sh into medians,
// ratios to each case's baseline and the issue's goals, writes
// RESULTS/bench-results.json and prints the summary; --markdown renders the
// README's tables from a bench-results.json.
//
//   node scripts/bench_report.mjs RESULTS_DIR
//   node scripts/bench_report.mjs --markdown RESULTS_DIR/bench-results.json
//   node scripts/bench_report.mjs --readme bench-results.json [README.md]
//     (rewrites the README's section between the bench markers)
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';

// The issue's goals that these workloads measure: variant / vs on metric >= target
// ("streamflow": ingest() for single-frame transactions, ingest_batch for 100 frames).
const GOALS = [
  { workload: 'ingest', variant: 'ingest_pipeline', vs: 'plain_insert', metric: 'frames_per_s', target: 0.7,
    goal: 'streamflow with validation, bindings and bus on >= 0.7 x plain INSERT' },
  { workload: 'ingest', variant: 'ingest_pipeline', vs: 'pgq', metric: 'frames_per_cpu_s', target: 2,
    goal: 'streamflow with validation, bindings and bus on >= 2 x PgQ per core' },
  { workload: 'ingest', variant: 'ingest', vs: 'pgq', metric: 'frames_per_cpu_s', target: 2,
    goal: 'streamflow without schema or bindings, bus on >= 2 x PgQ per core' },
];

// Workloads in the order the summary and README list them (others after, as found).
const WORKLOAD_ORDER = ['ingest', 'pipeline', 'bus', 'fanout', 'outbound'];

// Median of an array of numbers (null when empty).
function median(xs) {
  const a = xs.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (a.length === 0) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

// Rounds for display and JSON: 3 significant decimals for ratios, whole numbers for rates.
const round = (x, d = 0) => (x == null ? null : Number(x.toFixed(d)));

// Reads every JSON line of RESULTS/raw/*.jsonl plus the clients' "records".
function readRuns(dir, clients) {
  const runs = [];
  const raw = join(dir, 'raw');
  if (existsSync(raw)) {
    for (const f of readdirSync(raw).filter((f) => f.endsWith('.jsonl')).sort()) {
      for (const line of readFileSync(join(raw, f), 'utf8').split('\n')) {
        if (line.trim()) runs.push(JSON.parse(line));
      }
    }
  }
  for (const c of Object.values(clients)) {
    if (Array.isArray(c.records)) runs.push(...c.records);
  }
  return runs;
}

// Reads what each client left in RESULTS/clients: NAME.json (its BENCH_OUT
// object), the JSON objects it printed one per line in NAME.log (as "lines"),
// NAME.failed (as "error"), into {NAME: object}.
function readClients(dir) {
  const out = {};
  const cdir = join(dir, 'clients');
  if (!existsSync(cdir)) return out;
  for (const f of readdirSync(cdir).sort()) {
    const m = /^(.*)\.(json|log|failed)$/.exec(basename(f));
    if (!m) continue;
    const [, name, kind] = m;
    const c = (out[name] ??= {});
    const text = readFileSync(join(cdir, f), 'utf8');
    if (kind === 'json') {
      try { Object.assign(c, JSON.parse(text)); }
      catch (e) { c.error = `unreadable ${f}: ${e.message}`; }
    } else if (kind === 'log') {
      const lines = [];
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try { lines.push(JSON.parse(line)); } catch { /* a line of prose */ }
      }
      if (lines.length) c.lines = lines;
    } else {
      c.error = text.trim();
    }
  }
  return out;
}

// Groups runs by workload and case; per variant the medians of frames/s and
// frames per server CPU-second, and their ratios to the case's baseline.
function summarize(runs) {
  const cases = new Map();
  for (const r of runs) {
    const key = `${r.workload}\u0000${r.case}`;
    if (!cases.has(key)) cases.set(key, { workload: r.workload, case: r.case, baseline: r.baseline, variants: new Map() });
    const c = cases.get(key);
    if (!c.variants.has(r.variant)) c.variants.set(r.variant, []);
    c.variants.get(r.variant).push(r);
  }
  const out = [];
  for (const c of cases.values()) {
    const variants = [];
    for (const [name, rs] of c.variants) {
      variants.push({
        variant: name,
        runs: rs.length,
        frames_per_s: median(rs.map((r) => r.frames / r.seconds)),
        frames_per_cpu_s: median(rs.map((r) => (r.cpu_seconds ? r.frames / r.cpu_seconds : NaN))),
        each_frames_per_s: rs.map((r) => round(r.frames / r.seconds)),
      });
    }
    const base = variants.find((v) => v.variant === c.baseline);
    for (const v of variants) {
      v.ratio = base ? round(v.frames_per_s / base.frames_per_s, 3) : null;
      v.ratio_per_cpu = base && v.frames_per_cpu_s && base.frames_per_cpu_s
        ? round(v.frames_per_cpu_s / base.frames_per_cpu_s, 3) : null;
      v.frames_per_s = round(v.frames_per_s);
      v.frames_per_cpu_s = round(v.frames_per_cpu_s);
    }
    variants.sort((a, b) => (b.variant === c.baseline) - (a.variant === c.baseline) || a.variant.localeCompare(b.variant));
    out.push({ workload: c.workload, case: c.case, baseline: c.baseline, variants });
  }
  const rank = (w) => (WORKLOAD_ORDER.indexOf(w) + 1 || WORKLOAD_ORDER.length + 1);
  return out.sort((a, b) => rank(a.workload) - rank(b.workload));
}

// Evaluates GOALS (and the clients' own "goals") against the summary.
function goals(summary, clients) {
  const out = [];
  for (const g of GOALS) {
    for (const c of summary.filter((s) => s.workload === g.workload)) {
      const v = c.variants.find((x) => x.variant === g.variant);
      const w = c.variants.find((x) => x.variant === g.vs);
      if (!v || !w || !v[g.metric] || !w[g.metric]) continue;
      const measured = round(v[g.metric] / w[g.metric], 3);
      out.push({ goal: g.goal, case: c.case, target: g.target, measured, met: measured >= g.target });
    }
  }
  for (const [name, c] of Object.entries(clients)) {
    for (const g of c.goals || []) out.push({ ...g, client: name });
  }
  return out;
}

// The human summary printed at the end of make bench.
function printSummary(res) {
  for (const c of res.results) {
    console.log(`${c.workload}: ${c.case} (baseline ${c.baseline})`);
    for (const v of c.variants) {
      const cpu = v.frames_per_cpu_s ? `${String(v.frames_per_cpu_s).padStart(9)} /CPU-s  x${(v.ratio_per_cpu ?? 0).toFixed(2)}` : '';
      console.log(`  ${v.variant.padEnd(26)} ${String(v.frames_per_s).padStart(9)} frames/s  x${(v.ratio ?? 0).toFixed(2)}   ${cpu}`);
    }
  }
  for (const [name, c] of Object.entries(res.clients)) {
    for (const t of c.tables ?? []) {
      console.log(`${name}: ${t.title}`);
      for (const row of t.rows) console.log(`  ${row.map((x, i) => `${t.columns[i]} ${x}`).join(', ')}`);
    }
  }
  if (res.goals.length) console.log('\ngoals:');
  for (const g of res.goals) {
    console.log(`  ${g.met ? 'met    ' : 'SHORT  '} ${g.goal} [${g.case ?? g.client}]: ${g.measured} (target ${g.target})`);
  }
  for (const [name, c] of Object.entries(res.clients)) {
    if (c.error) console.log(`client ${name}: ${c.error}`);
  }
}

// README tables from a bench-results.json.
function markdown(res) {
  const m = res.machine;
  const s = res.postgresql.settings;
  const lines = [
    `${res.mode} run, ${res.date}, commit ${res.streamflow_commit}: ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, ` +
      `${res.postgresql.version.split(' on ')[0]}, PgQ ${res.postgresql.pgq}; fsync=${s.fsync}, ` +
      `synchronous_commit=${s.synchronous_commit}, shared_buffers=${s.shared_buffers}, ` +
      `wal_sync_method=${s.wal_sync_method}; median of ${res.repetitions} alternating runs` +
      ` (pgbench runs of ${res.seconds_per_run} s). Per CPU-s: frames per second of server CPU time.`,
  ];
  let workload = null;
  for (const c of res.results) {
    if (c.workload !== workload) {
      workload = c.workload;
      lines.push('', `**${workload}**`, '',
        '| case | variant | frames/s | ratio | frames per CPU-s | ratio per CPU-s |', '|---|---|---|---|---|---|');
    }
    for (const v of c.variants) {
      const fmt = (x) => (x == null ? '' : x.toLocaleString('en-US'));
      lines.push(`| ${c.case} | ${v.variant}${v.variant === c.baseline ? ' (baseline)' : ''} | ${fmt(v.frames_per_s)} | ` +
        `${v.ratio?.toFixed(2) ?? ''} | ${fmt(v.frames_per_cpu_s)} | ${v.ratio_per_cpu?.toFixed(2) ?? ''} |`);
    }
  }
  for (const [name, c] of Object.entries(res.clients ?? {})) {
    for (const t of c.tables ?? []) {
      lines.push('', `**${name}**: ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`);
      for (const row of t.rows) lines.push(`| ${row.join(' | ')} |`);
    }
    if (!c.lines?.length) continue;
    lines.push('', `**${name}** (one line per run)`, '');
    for (const l of c.lines) lines.push(`- ${Object.entries(l).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  if (res.goals.length) {
    lines.push('', '| goal | case | target | measured | |', '|---|---|---|---|---|');
    for (const g of res.goals) {
      lines.push(`| ${g.goal} | ${g.case ?? g.client} | ${g.target} | ${g.measured} | ${g.met ? 'met' : 'short'} |`);
    }
  }
  return lines.join('\n');
}

// Replaces README's text between the bench markers with the tables.
function updateReadme(resultsFile, readme) {
  const begin = '<!-- bench:begin (generated by scripts/bench_report.mjs --readme) -->';
  const end = '<!-- bench:end -->';
  const text = readFileSync(readme, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${readme} has no ${begin} ... ${end} section`);
  const tables = markdown(JSON.parse(readFileSync(resultsFile, 'utf8')));
  writeFileSync(readme, `${text.slice(0, i + begin.length)}\n${tables}\n${text.slice(j)}`);
}

const args = process.argv.slice(2);
if (args[0] === '--markdown') {
  console.log(markdown(JSON.parse(readFileSync(args[1], 'utf8'))));
} else if (args[0] === '--readme') {
  updateReadme(args[1], args[2] ?? 'README.md');
} else {
  const dir = args[0];
  if (!dir) {
    console.error('usage: bench_report.mjs RESULTS_DIR | --markdown bench-results.json | --readme bench-results.json [README.md]');
    process.exit(2);
  }
  const clients = readClients(dir);
  const res = JSON.parse(readFileSync(join(dir, 'machine.json'), 'utf8'));
  res.results = summarize(readRuns(dir, clients));
  res.goals = goals(res.results, clients);
  res.clients = clients;
  writeFileSync(join(dir, 'bench-results.json'), JSON.stringify(res, null, 2) + '\n');
  printSummary(res);
}
