// The HTML report's chart script: src/report/html.ts inlines it after uPlot, and it draws the charts
// from the JSON block #report-data. It runs in the browser: plain ES5-style code, no template
// literals, no network.
(function () {
  'use strict';
  var DATA = JSON.parse(document.getElementById('report-data').textContent);
  var VERDICT = {
    MET: '#1a7f37',
    BREACHED: '#cf222e',
    INCONCLUSIVE: '#bf8700',
    ABORTED: '#6e7781',
    'FAULT-LEFT': '#82071e',
  };
  var MARKER = { T0: '#1f2328', T_detect: '#cf222e', T_service: '#1a7f37', T_full: '#0969da' };
  // Tick steps that read well as durations: 1-2-5 below a second, then 1, 2, 5, 10, 15, 30 s, minutes, hours.
  var MS_INCRS = [
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000,
    900000, 1800000, 3600000, 7200000, 14400000, 21600000, 43200000, 86400000,
  ];
  var PALETTE = ['#0969da', '#8250df', '#0a7ea4', '#bc4c00', '#bf3989', '#4d2d00'];
  var px = function (n) {
    return n * (window.devicePixelRatio || 1);
  };
  var runs = {},
    drills = {},
    charts = [];
  DATA.runs.forEach(function (r) {
    runs[r.id] = r;
  });
  DATA.drills.forEach(function (d) {
    drills[d.id] = d;
  });

  function fmtMs(ms) {
    if (ms == null || isNaN(ms)) return '—';
    if (ms === 0) return '0';
    var a = Math.abs(ms),
      s = ms < 0 ? '−' : '';
    if (a < 1000) return s + +a.toFixed(1) + ' ms';
    if (a < 60000) return s + +(a / 1000).toFixed(2) + ' s';
    if (a < 3600000) return s + +(a / 60000).toFixed(2) + ' min';
    return s + +(a / 3600000).toFixed(2) + ' h';
  }
  function pad2(n) {
    return (n < 10 ? '0' : '') + n;
  }
  /** UTC, 24 h, as precise as the span between ticks needs. */
  function fmtUtc(sec, spanSec) {
    var d = new Date(sec * 1000);
    var day = d.getUTCFullYear() + '-' + pad2(d.getUTCMonth() + 1) + '-' + pad2(d.getUTCDate());
    var hm = pad2(d.getUTCHours()) + ':' + pad2(d.getUTCMinutes());
    if (spanSec == null) return day + ' ' + hm + ':' + pad2(d.getUTCSeconds()) + 'Z';
    if (spanSec >= 86400) return day;
    if (spanSec >= 60) return day.slice(5) + ' ' + hm;
    return hm + ':' + pad2(d.getUTCSeconds());
  }
  function fmtRel(sec) {
    return sec == null ? '—' : (sec >= 0 ? '+' : '') + +sec.toFixed(3) + ' s';
  }
  function widthOf(el) {
    return Math.max(300, Math.floor(el.getBoundingClientRect().width));
  }

  function vline(u, x, color, label, row, dash) {
    var ctx = u.ctx,
      b = u.bbox;
    var cx = u.valToPos(x, 'x', true);
    if (cx < b.left - 1 || cx > b.left + b.width + 1) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = px(dash ? 1.5 : 2);
    ctx.setLineDash(dash ? [px(6), px(4)] : []);
    ctx.beginPath();
    ctx.moveTo(cx, b.top);
    ctx.lineTo(cx, b.top + b.height);
    ctx.stroke();
    ctx.font = '600 ' + px(11) + 'px system-ui, sans-serif';
    var w = ctx.measureText(label).width;
    var right = cx + px(4) + w > b.left + b.width;
    ctx.textAlign = right ? 'right' : 'left';
    var tx = right ? cx - px(4) : cx + px(4),
      ty = b.top + px(13 + 14 * row);
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    ctx.fillRect(right ? tx - w - px(2) : tx - px(2), ty - px(11), w + px(4), px(14));
    ctx.fillStyle = color;
    ctx.fillText(label, tx, ty);
    ctx.restore();
  }

  function timelineChart(el, run) {
    var xs = [],
      ok = [],
      bad = [],
      i;
    for (i = 0; i < run.t.length; i++) {
      xs.push(run.t[i] / 1000);
      var lat = Math.max(1, run.l[i]);
      ok.push(run.ok[i] ? lat : null);
      bad.push(run.ok[i] ? null : lat);
    }
    var marks = run.markers.map(function (m) {
      return m.rel / 1000;
    });
    var lo = Math.min.apply(null, xs.concat(marks)),
      hi = Math.max.apply(null, xs.concat(marks));
    if (!isFinite(lo)) {
      lo = -1;
      hi = 1;
    }
    var target = run.origin === 'T0' ? run.targetRtoMs / 1000 : null;
    var span = Math.max(hi - lo, 1);
    var targetShown = target != null && target <= hi + span * 0.5;
    if (targetShown) hi = Math.max(hi, target);
    var pad = Math.max(hi - lo, 1) * 0.03;
    if (xs.length === 0) {
      xs = [lo, hi];
      ok = [null, null];
      bad = [null, null];
    }
    var lats = run.l.length
      ? run.l.map(function (v) {
          return Math.max(1, v);
        })
      : [1, 100];
    var ymax = Math.max.apply(null, lats),
      ymin = Math.min.apply(null, lats);
    var ylo = Math.pow(10, Math.floor(Math.log10(ymin))),
      yhi = Math.pow(10, Math.ceil(Math.log10(ymax * 1.5)));
    if (yhi <= ylo) yhi = ylo * 10;
    var opts = {
      width: widthOf(el),
      height: 260,
      scales: {
        x: {
          time: false,
          range: function () {
            return [lo - pad, hi + pad];
          },
        },
        y: {
          distr: 3,
          log: 10,
          range: function () {
            return [ylo, yhi];
          },
        },
      },
      axes: [
        {
          label: 'seconds since ' + run.origin,
          values: function (u, v) {
            return v.map(function (s) {
              return (s > 0 ? '+' : '') + +s.toFixed(3);
            });
          },
        },
        {
          label: 'canary latency',
          size: 70,
          values: function (u, v) {
            return v.map(fmtMs);
          },
          splits: function () {
            var out = [];
            for (var p = ylo; p <= yhi * 1.0001; p *= 10) out.push(p);
            return out;
          },
        },
      ],
      legend: { live: true },
      cursor: { points: { size: 8 } },
      series: [
        {
          label: 'since ' + run.origin,
          value: function (u, v) {
            return fmtRel(v);
          },
        },
        {
          label: 'canary ok',
          stroke: '#1a7f37',
          fill: '#1a7f37',
          paths: function () {
            return null;
          },
          points: { show: true, size: 4, width: 0, fill: '#2da44e', stroke: '#2da44e' },
          value: function (u, v) {
            return v == null ? '—' : fmtMs(v);
          },
        },
        {
          label: 'canary failed',
          stroke: '#cf222e',
          fill: '#cf222e',
          paths: function () {
            return null;
          },
          points: { show: true, size: 5, width: 0, fill: '#cf222e', stroke: '#cf222e' },
          value: function (u, v) {
            return v == null ? '—' : fmtMs(v);
          },
        },
      ],
      hooks: {
        drawClear: [
          function (u) {
            if (!run.unavailable) return;
            var b = u.bbox,
              x0 = u.valToPos(run.unavailable[0] / 1000, 'x', true),
              x1 = u.valToPos(run.unavailable[1] / 1000, 'x', true);
            x0 = Math.max(b.left, x0);
            x1 = Math.min(b.left + b.width, x1);
            if (x1 <= x0) return;
            u.ctx.save();
            u.ctx.fillStyle = 'rgba(207,34,46,0.10)';
            u.ctx.fillRect(x0, b.top, x1 - x0, b.height);
            u.ctx.restore();
          },
        ],
        draw: [
          function (u) {
            run.markers.forEach(function (m, i) {
              vline(
                u,
                m.rel / 1000,
                MARKER[m.m] || '#59636e',
                m.m + ' ' + fmtRel(m.rel / 1000),
                i % 4,
                false,
              );
            });
            if (targetShown) vline(u, target, '#cf222e', 'target RTO ' + fmtMs(run.targetRtoMs), 0, true);
          },
        ],
      },
    };
    var note = el.parentNode && el.parentNode.querySelector('.target-note');
    if (note && target != null) {
      note.textContent = targetShown
        ? 'The dashed red line is the target RTO (' + fmtMs(run.targetRtoMs) + ').'
        : 'The target RTO (' + fmtMs(run.targetRtoMs) + ') lies beyond the right edge.';
    }
    return new uPlot(opts, [xs, ok, bad], el);
  }

  function trendChart(el, d) {
    var xsSet = {},
      xs = [];
    d.points.forEach(function (p) {
      var x = p.at / 1000;
      if (!xsSet[x]) {
        xsSet[x] = true;
        xs.push(x);
      }
    });
    xs.sort(function (a, b) {
      return a - b;
    });
    var idx = {};
    xs.forEach(function (x, i) {
      idx[x] = i;
    });
    var data = [xs];
    var series = [
      {
        label: 'run started',
        value: function (u, v) {
          return v == null ? '—' : fmtUtc(v);
        },
      },
    ];
    d.variants.forEach(function (v, vi) {
      var ys = xs.map(function () {
        return null;
      });
      d.points.forEach(function (p) {
        if (p.variant === v) ys[idx[p.at / 1000]] = p.rtoMs;
      });
      data.push(ys);
      series.push({
        label: 'RTO ' + v,
        stroke: PALETTE[vi % PALETTE.length],
        width: 2,
        spanGaps: true,
        points: { show: false },
        value: function (u, val) {
          return val == null ? '—' : fmtMs(val);
        },
      });
    });
    var targets = xs.map(function () {
      return null;
    });
    d.points.forEach(function (p) {
      targets[idx[p.at / 1000]] = p.targetRtoMs;
    });
    data.push(targets);
    series.push({
      label: 'target RTO',
      stroke: '#cf222e',
      width: 1.5,
      dash: [6, 4],
      spanGaps: true,
      paths: uPlot.paths.stepped({ align: 1 }),
      points: { show: false },
      value: function (u, val) {
        return val == null ? '—' : fmtMs(val);
      },
    });
    var ymax = 0;
    d.points.forEach(function (p) {
      ymax = Math.max(ymax, p.rtoMs || 0, p.targetRtoMs || 0);
    });
    ymax = ymax > 0 ? ymax * 1.18 : 1000;
    var xlo = xs[0],
      xhi = xs[xs.length - 1];
    var pad = xhi > xlo ? (xhi - xlo) * 0.04 : 86400;
    var opts = {
      width: widthOf(el),
      height: 280,
      tzDate: function (ts) {
        return uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
      },
      scales: {
        x: {
          time: true,
          range: function () {
            return [xlo - pad, xhi + pad];
          },
        },
        y: {
          range: function () {
            return [0, ymax];
          },
        },
      },
      axes: [
        {
          label: 'run started (UTC)',
          space: 90,
          values: function (u, v) {
            var step = v.length > 1 ? v[1] - v[0] : 86400;
            return v.map(function (x) {
              return fmtUtc(x, step);
            });
          },
        },
        {
          label: 'RTO (service)',
          size: 70,
          incrs: MS_INCRS,
          values: function (u, v) {
            return v.map(fmtMs);
          },
        },
      ],
      series: series,
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx,
              b = u.bbox;
            ctx.save();
            ctx.setLineDash([]);
            d.points.forEach(function (p) {
              var cx = u.valToPos(p.at / 1000, 'x', true);
              ctx.fillStyle = VERDICT[p.verdict] || '#59636e';
              ctx.strokeStyle = '#ffffff';
              ctx.lineWidth = px(1.5);
              if (p.rtoMs == null) {
                var ty = b.top + px(2);
                ctx.beginPath();
                ctx.moveTo(cx, ty);
                ctx.lineTo(cx - px(6), ty + px(10));
                ctx.lineTo(cx + px(6), ty + px(10));
                ctx.closePath();
                ctx.fill();
                ctx.stroke();
                ctx.font = '600 ' + px(11) + 'px system-ui, sans-serif';
                var label = p.verdict === 'FAULT-LEFT' ? 'fault left in place' : 'not recovered';
                var right = cx + px(9) + ctx.measureText(label).width > b.left + b.width;
                ctx.textAlign = right ? 'right' : 'left';
                ctx.fillText(label, right ? cx - px(9) : cx + px(9), ty + px(9));
                return;
              }
              var cy = u.valToPos(p.rtoMs, 'y', true);
              ctx.beginPath();
              // A run that left its fault in place stands out among the other dots.
              ctx.arc(cx, cy, px(p.verdict === 'FAULT-LEFT' ? 8 : 5), 0, 2 * Math.PI);
              ctx.fill();
              ctx.stroke();
            });
            ctx.restore();
          },
        ],
      },
    };
    return new uPlot(opts, data, el);
  }

  function ensure(el) {
    if (el.getAttribute('data-ready')) return;
    // A run folded away in a closed <details> is drawn when it is opened (big reports stay quick to load).
    if (el.closest('details:not([open])') || el.getBoundingClientRect().width === 0) return;
    el.setAttribute('data-ready', '1');
    try {
      var u = el.hasAttribute('data-run')
        ? timelineChart(el, runs[el.getAttribute('data-run')])
        : trendChart(el, drills[el.getAttribute('data-drill')]);
      charts.push({ el: el, u: u });
    } catch (e) {
      el.className += ' chart-error';
      el.textContent = 'This chart could not be drawn: ' + e.message;
      console.error(e);
    }
  }
  function drawVisible() {
    Array.prototype.forEach.call(document.querySelectorAll('.chart'), ensure);
  }
  function setAll(open) {
    Array.prototype.forEach.call(document.querySelectorAll('details.run'), function (d) {
      d.open = open;
    });
    drawVisible();
  }

  document.addEventListener(
    'toggle',
    function (e) {
      if (e.target.open) Array.prototype.forEach.call(e.target.querySelectorAll('.chart'), ensure);
    },
    true,
  );
  function openHash() {
    var el = location.hash && document.getElementById(location.hash.slice(1));
    if (el && el.tagName === 'DETAILS') {
      el.open = true;
      drawVisible();
    }
  }
  window.addEventListener('hashchange', openHash);
  window.addEventListener('beforeprint', function () {
    setAll(true);
  });
  var expand = document.getElementById('expand-all'),
    collapse = document.getElementById('collapse-all');
  if (expand)
    expand.addEventListener('click', function () {
      setAll(true);
    });
  if (collapse)
    collapse.addEventListener('click', function () {
      setAll(false);
    });
  var timer;
  window.addEventListener('resize', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      charts.forEach(function (c) {
        c.u.setSize({ width: widthOf(c.el), height: c.u.height });
      });
    }, 150);
  });
  openHash();
  drawVisible();
  document.documentElement.setAttribute('data-charts', 'ready');
})();
