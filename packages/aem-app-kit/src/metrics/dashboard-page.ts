/**
 * @internal The live dashboard's page: plain HTML and a script that draws four uPlot charts from
 * the admin server's server-sent events (`/events`: one `history` event with the samples kept so
 * far, then a `sample` event a second). Nothing to build: uPlot's own browser bundle is served
 * from the installed `uplot` package under `/assets/`.
 *
 * The page reports what it drew in `document.body.dataset.points` (samples on the charts) and
 * `dataset.peak` (the highest activation rate among them) so a headless browser can check it.
 */
export function dashboardPage(title: string): string {
  const escaped = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escaped} · AEM</title>
<link rel="stylesheet" href="assets/uPlot.min.css">
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
  h1 { font-size: 18px; margin: 0 0 4px; }
  #now { margin: 0 0 12px; color: #555; }
  #now b { color: #111; }
  #charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 12px; }
  .chart { background: #fff; border: 1px solid #ddd; padding: 8px; }
  #state.down { color: #b00; }
</style>
</head>
<body data-points="0">
<h1>${escaped}</h1>
<p id="now">connecting…</p>
<div id="charts"></div>
<script src="assets/uPlot.iife.min.js"></script>
<script>
(() => {
  const specs = [
    { title: 'activations per second', series: [['activationsPerSec', 'activations/s', '#1f77b4'], ['errorsPerSec', 'handler errors/s', '#d62728']] },
    { title: 'sessions and connections', series: [['sessions', 'sessions', '#2ca02c'], ['connections', 'connections', '#9467bd']] },
    { title: 'pending timers and queued activations', series: [['pendingTimers', 'pending timers', '#ff7f0e'], ['queued', 'queued', '#8c564b']] },
    { title: 'event-loop delay, p99 (ms)', series: [['eventLoopDelayMs', 'delay ms', '#e377c2']] },
  ];
  const samples = [];
  const charts = specs.map((spec) => {
    const el = document.createElement('div');
    el.className = 'chart';
    document.getElementById('charts').appendChild(el);
    return new uPlot({
      title: spec.title, width: 460, height: 220,
      series: [{}, ...spec.series.map(([, label, stroke]) => ({ label, stroke, width: 2 }))],
      axes: [{}, { size: 60 }],
    }, [[], ...spec.series.map(() => [])], el);
  });
  const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString() : n.toFixed(1));
  function draw() {
    specs.forEach((spec, i) => {
      charts[i].setData([samples.map((s) => s.t), ...spec.series.map(([key]) => samples.map((s) => s[key]))]);
    });
    const s = samples[samples.length - 1];
    if (s) {
      document.getElementById('now').innerHTML =
        '<b>' + fmt(s.activationsPerSec) + '</b> activations/s · <b>' + s.sessions + '</b> sessions · <b>' +
        s.connections + '</b> connections · <b>' + s.pendingTimers + '</b> pending timers · loop delay <b>' +
        fmt(s.eventLoopDelayMs) + ' ms</b> · handlers ' + (s.versions || '—');
    }
    document.body.dataset.points = String(samples.length);
    document.body.dataset.peak = String(Math.max(0, ...samples.map((x) => x.activationsPerSec)));
  }
  const events = new EventSource('events');
  events.addEventListener('history', (e) => { samples.length = 0; samples.push(...JSON.parse(e.data)); draw(); });
  events.addEventListener('sample', (e) => { samples.push(JSON.parse(e.data)); if (samples.length > 300) samples.shift(); draw(); });
  events.addEventListener('failure', (e) => { document.getElementById('now').textContent = 'sampling failed: ' + JSON.parse(e.data); });
  events.onerror = () => { document.getElementById('now').textContent = 'disconnected: retrying…'; };
})();
</script>
</body>
</html>
`;
}
