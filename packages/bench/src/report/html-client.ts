/**
 * The report page's own script, as text: it reads the embedded report JSON and draws every
 * chart as inline SVG (no library, no network). Plain ES2017 without template literals so it can
 * live in a string. When done it sets `data-charts-rendered` on <html> to the number of charts
 * drawn, or `data-charts-error` with the message.
 */
export const HTML_CLIENT_SCRIPT = `
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var W = 560, H = 300, M = {top: 28, right: 16, bottom: 42, left: 62};
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = {
    'float32': '#3b5bdb', 'mixed_float16': '#e8590c', 'mixed_bfloat16': '#2b8a3e',
    'mixed_float16:no-loss-scaling': '#c92a2a', 'float16': '#862e9c', 'bfloat16': '#8d6e63'
  };
  var EXTRA = ['#1098ad', '#5c940d', '#d6336c', '#495057', '#f08c00'];
  function color(id, i) { return COLORS[id] || EXTRA[i % EXTRA.length]; }

  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, String(attrs[k]));
    if (text != null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function fmt(v) {
    var a = Math.abs(v);
    if (a === 0) return '0';
    if (a >= 1e4 || a < 1e-2) return v.toExponential(0).replace('e+', 'e');
    return String(Number(v.toPrecision(3)));
  }
  function niceTicks(lo, hi, n) {
    var span = hi - lo || Math.abs(hi) || 1;
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var ticks = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
    return ticks;
  }
  function scale(kind, lo, hi, a, b) {
    var f = kind === 'log' ? Math.log : function (x) { return x; };
    var l = f(lo), h = f(hi);
    if (h === l) { h = l + 1; }
    return function (v) { return a + (f(v) - l) / (h - l) * (b - a); };
  }
  function frame(figure, title, xLabel, yLabel) {
    var svg = el('svg', {viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': title});
    figure.appendChild(svg);
    el('text', {x: M.left, y: 16, 'class': 'title'}, svg, title);
    el('text', {x: M.left + (W - M.left - M.right) / 2, y: H - 6, 'class': 'axis-label', 'text-anchor': 'middle'}, svg, xLabel);
    el('text', {x: 14, y: M.top + (H - M.top - M.bottom) / 2, 'class': 'axis-label', 'text-anchor': 'middle',
      transform: 'rotate(-90 14 ' + (M.top + (H - M.top - M.bottom) / 2) + ')'}, svg, yLabel);
    return svg;
  }
  function legend(figure, items) {
    var div = document.createElement('div');
    div.className = 'legend';
    items.forEach(function (it) {
      var span = document.createElement('span');
      var sw = document.createElement('i');
      sw.style.background = it.color;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(it.label));
      div.appendChild(span);
    });
    figure.appendChild(div);
  }
  function smooth(values, window) {
    var out = [], sum = 0, q = [];
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v == null || !isFinite(v)) { out.push(null); continue; }
      q.push(v); sum += v;
      if (q.length > window) sum -= q.shift();
      out.push(sum / q.length);
    }
    return out;
  }
  // Keep at most n points per series (every k-th), the last one included.
  function thin(points, n) {
    if (points.length <= n) return points;
    var k = Math.ceil(points.length / n), out = [];
    for (var i = 0; i < points.length; i += k) out.push(points[i]);
    if (out[out.length - 1] !== points[points.length - 1]) out.push(points[points.length - 1]);
    return out;
  }

  /** series: [{id, label, color, values: [y per step], dots: [[x, y]]}] */
  function lineChart(figure, opts) {
    var svg = frame(figure, opts.title, opts.xLabel, opts.yLabel);
    var xs = 0, lo = Infinity, hi = -Infinity;
    opts.series.forEach(function (s) {
      xs = Math.max(xs, s.values.length);
      s.values.forEach(function (v) {
        if (v != null && isFinite(v) && (opts.yScale !== 'log' || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      });
    });
    if (!isFinite(lo)) { lo = 0.1; hi = 1; }
    var x = scale('linear', 0, Math.max(1, xs - 1), M.left, W - M.right);
    var yTicks;
    if (opts.yScale === 'log') {
      var base = opts.logBase || 10;
      var e0 = Math.floor(Math.log(lo) / Math.log(base)), e1 = Math.ceil(Math.log(hi) / Math.log(base));
      if (e1 === e0) e1 = e0 + 1;
      var stride = Math.max(1, Math.ceil((e1 - e0) / 8));
      lo = Math.pow(base, e0); hi = Math.pow(base, e1);
      yTicks = [];
      for (var e = e0; e <= e1; e += stride) yTicks.push(Math.pow(base, e));
    } else {
      var pad = (hi - lo) * 0.05 || 1;
      lo -= pad; hi += pad;
      yTicks = niceTicks(lo, hi, 5);
    }
    var y = scale(opts.yScale === 'log' ? 'log' : 'linear', lo, hi, H - M.bottom, M.top);
    var axes = el('g', {'class': 'axes'}, svg);
    yTicks.forEach(function (t) {
      var yy = y(t);
      el('line', {x1: M.left, x2: W - M.right, y1: yy, y2: yy, 'class': 'grid'}, axes);
      el('text', {x: M.left - 6, y: yy + 4, 'text-anchor': 'end'}, axes,
        opts.logBase === 2 ? '2^' + Math.round(Math.log(t) / Math.LN2) : fmt(t));
    });
    niceTicks(0, Math.max(1, xs - 1), 6).forEach(function (t) {
      el('text', {x: x(t), y: H - M.bottom + 16, 'text-anchor': 'middle'}, axes, fmt(t));
    });
    el('line', {x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, 'class': 'axis'}, axes);
    el('line', {x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom, 'class': 'axis'}, axes);
    opts.series.forEach(function (s) {
      var pts = [];
      s.values.forEach(function (v, i) {
        if (v != null && isFinite(v) && (opts.yScale !== 'log' || v > 0)) pts.push([i, v]);
      });
      pts = thin(pts, 800);
      if (pts.length === 0) return;
      var d = pts.map(function (p, i) { return (i ? 'L' : 'M') + x(p[0]).toFixed(1) + ' ' + y(Math.min(Math.max(p[1], lo), hi)).toFixed(1); }).join('');
      var path = el('path', {d: d, stroke: s.color, 'class': 'series', 'data-series': s.id, 'data-points': pts.length}, svg);
      el('title', {}, path, s.label);
      (s.dots || []).forEach(function (p) {
        el('circle', {cx: x(p[0]), cy: y(Math.min(Math.max(p[1], lo), hi)), r: 3, fill: s.color, 'class': 'dot'}, svg);
      });
    });
    legend(figure, opts.series);
    return svg;
  }

  /** bars: [{id, label, color, value, lo, hi, parts: [{value, color, label}]}] */
  function barChart(figure, opts) {
    var svg = frame(figure, opts.title, '', opts.yLabel);
    var max = 0;
    opts.bars.forEach(function (b) { max = Math.max(max, b.hi != null ? b.hi : b.value); });
    if (!(max > 0)) max = 1;
    var ticks = niceTicks(0, max * 1.08, 5);
    // Headroom above the tallest bar for its value label.
    var top = Math.max(ticks[ticks.length - 1], max * 1.12);
    var y = scale('linear', 0, top, H - M.bottom, M.top);
    var axes = el('g', {'class': 'axes'}, svg);
    ticks.forEach(function (t) {
      el('line', {x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), 'class': 'grid'}, axes);
      el('text', {x: M.left - 6, y: y(t) + 4, 'text-anchor': 'end'}, axes, fmt(t));
    });
    el('line', {x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, 'class': 'axis'}, axes);
    var slot = (W - M.left - M.right) / opts.bars.length;
    var bw = Math.min(56, slot * 0.6);
    opts.bars.forEach(function (b, i) {
      var cx = M.left + slot * (i + 0.5);
      var parts = b.parts || [{value: b.value, color: b.color, label: b.label}];
      var base = 0;
      parts.forEach(function (p) {
        var y0 = y(base), y1 = y(base + p.value);
        var rect = el('rect', {x: cx - bw / 2, y: y1, width: bw, height: Math.max(0, y0 - y1), fill: p.color,
          'class': 'bar', 'data-bar': b.id, 'data-value': p.value}, svg);
        el('title', {}, rect, b.label + ': ' + fmt(p.value) + ' ' + opts.unit + (parts.length > 1 ? ' (' + p.label + ')' : ''));
        base += p.value;
      });
      if (b.lo != null && b.hi != null) {
        el('line', {x1: cx, x2: cx, y1: y(b.lo), y2: y(b.hi), 'class': 'whisker'}, svg);
        el('line', {x1: cx - 6, x2: cx + 6, y1: y(b.lo), y2: y(b.lo), 'class': 'whisker'}, svg);
        el('line', {x1: cx - 6, x2: cx + 6, y1: y(b.hi), y2: y(b.hi), 'class': 'whisker'}, svg);
      }
      el('text', {x: cx, y: y(b.hi != null ? b.hi : base) - 5, 'text-anchor': 'middle', 'class': 'value'}, svg, b.text || fmt(base));
      el('text', {x: cx, y: H - M.bottom + 14, 'text-anchor': 'middle', 'class': 'tick-label'}, svg, b.short || b.label);
    });
    if (opts.legend) legend(figure, opts.legend);
    return svg;
  }

  var drawn = 0;
  function figure(parent, kind) {
    var f = document.createElement('figure');
    f.className = 'chart';
    f.setAttribute('data-chart', kind);
    parent.appendChild(f);
    return f;
  }
  function shortLabel(r) {
    return r.policy.replace('mixed_', 'm_') + (r.variant.indexOf(':no-loss-scaling') > 0 ? ' no-LS' : '');
  }
  try {
    var groups = [];
    report.runs.forEach(function (r) {
      var key = r.workload + '|' + r.scenario, g = null;
      for (var i = 0; i < groups.length; i++) if (groups[i].key === key) g = groups[i];
      if (!g) { g = {key: key, workload: r.workload, scenario: r.scenario, runs: []}; groups.push(g); }
      g.runs.push(r);
    });
    groups.forEach(function (g) {
      var host = document.querySelector('section[data-group="' + g.key + '"] .charts');
      if (!host) return;
      var series = g.runs.map(function (r, i) {
        return {id: r.variant, label: r.label, color: color(r.variant, i), values: smooth(r.curves.loss, 10)};
      });
      lineChart(figure(host, 'loss'), {title: 'Training loss (moving average of 10 steps)', xLabel: 'step',
        yLabel: 'loss', yScale: 'log', series: series});
      drawn++;
      var scaled = g.runs.filter(function (r) { return r.curves.lossScale.length > 0; });
      if (scaled.length > 0) {
        lineChart(figure(host, 'loss-scale'), {title: 'Loss scale per step (dots: skipped steps)', xLabel: 'step',
          yLabel: 'loss scale', yScale: 'log', logBase: 2,
          series: scaled.map(function (r) {
            var i = g.runs.indexOf(r);
            return {id: r.variant, label: r.label, color: color(r.variant, i), values: r.curves.lossScale,
              dots: r.curves.skippedAt.map(function (s) { return [s, r.curves.lossScale[s]]; })};
          })});
        drawn++;
      }
      barChart(figure(host, 'step-time'), {title: 'Step time: median, whiskers p10–p90', yLabel: 'ms', unit: 'ms',
        bars: g.runs.map(function (r, i) {
          return {id: r.variant, label: r.label, short: shortLabel(r), color: color(r.variant, i), value: r.stepTime.medianMs,
            lo: r.stepTime.p10Ms, hi: r.stepTime.p90Ms,
            text: r.stepTimeRatio == null ? fmt(r.stepTime.medianMs) + ' ms' : r.stepTimeRatio.toFixed(2) + '×'};
        })});
      drawn++;
      barChart(figure(host, 'memory'), {title: 'tfjs memory at peak: state + step', yLabel: 'MB', unit: 'MB',
        legend: [{label: 'state (weights, optimizer)', color: '#868e96'}, {label: 'step peak (activations, gradients)', color: '#4dabf7'}],
        bars: g.runs.map(function (r) {
          return {id: r.variant, label: r.label, short: shortLabel(r), value: r.memory.peakBytes / 1e6,
            parts: [{value: r.memory.stateBytes / 1e6, color: '#868e96', label: 'state'},
                    {value: r.memory.stepPeakBytes / 1e6, color: '#4dabf7', label: 'step peak'}]};
        })});
      drawn++;
      barChart(figure(host, 'accuracy'), {title: 'Held-out accuracy', yLabel: '%', unit: '%',
        bars: g.runs.map(function (r, i) {
          return {id: r.variant, label: r.label, short: shortLabel(r), color: color(r.variant, i), value: r.testAccuracy * 100,
            text: (r.testAccuracy * 100).toFixed(2) + '%'};
        })});
      drawn++;
    });
    document.documentElement.setAttribute('data-charts-rendered', String(drawn));
  } catch (err) {
    document.documentElement.setAttribute('data-charts-error', String(err && err.stack || err));
    var box = document.createElement('pre');
    box.className = 'error';
    box.textContent = 'Chart rendering failed: ' + String(err && err.stack || err);
    document.body.insertBefore(box, document.body.firstChild);
  }
})();
`;
