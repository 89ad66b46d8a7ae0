// The impact chart of a business function's page: a stepped line of the impact level
// (negligible 0 … severe 4) against time since the outage began, with a vertical mark at the
// MTPD and one at the recovery time of the worst single failure. The data comes from the page
// as JSON (<script type="application/json" id="impact-data">); the same data is in the table
// below the chart, which is the text alternative. Sets data-ready="true" on the canvas once
// drawn, for the browser tests.
(function () {
  "use strict";

  var canvas = document.getElementById("impact-chart");
  if (!canvas || typeof Chart === "undefined") return;
  var src = document.getElementById(canvas.dataset.source || "impact-data");
  if (!src) return;
  var d;
  try {
    d = JSON.parse(src.textContent);
  } catch (e) {
    return;
  }
  if (!d.steps || !d.steps.length) return;

  var HOUR = 3600;
  var levels = d.levels || ["negligible", "minor", "moderate", "major", "severe"];
  // At least 4.5:1 against white, as the page's own colours.
  var colours = ["#57606a", "#1a7f37", "#8a5300", "#c2410c", "#b42318"];
  var mtpdColour = "#b42318";
  var worstColour = "#0d2b4e";

  // hours writes a time in hours as people read it: 30m, 4h, 3d, 2w.
  function hours(h) {
    var s = Math.round(h * HOUR);
    if (s === 0) return "0";
    if (s < HOUR) return Math.round(s / 60) + "m";
    if (s < 2 * 86400) return +(s / HOUR).toFixed(1) + "h";
    if (s < 14 * 86400) return +(s / 86400).toFixed(1) + "d";
    return +(s / 604800).toFixed(1) + "w";
  }

  // Impact tables run from minutes to weeks, so time is on a logarithmic axis: the first
  // hour gets as much room as the first day. It starts at half the first moment of note.
  var last = d.steps[d.steps.length - 1];
  var times = d.steps.map(function (s) { return s.after; });
  if (d.mtpd != null) times.push(d.mtpd);
  if (d.worst && d.worst.up != null) times.push(d.worst.up);
  var positive = times.filter(function (t) { return t > 0; });
  var start = Math.max((positive.length ? Math.min.apply(null, positive) : HOUR) / 2, 60) / HOUR;
  var end = Math.max(Math.max.apply(null, times) * 1.5, 2 * start * HOUR) / HOUR;

  var points = [];
  if (d.steps[0].after > 0) points.push({ x: start, y: 0, edge: true, note: "no impact recorded yet" });
  d.steps.forEach(function (s) {
    points.push({ x: Math.max(s.after / HOUR, start), y: s.level, note: s.note || "", label: s.label });
  });
  points.push({ x: end, y: last.level, label: last.label, note: last.note || "", edge: true });

  // Ticks at the moments people plan in, thinned to at most eight.
  var nice = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 172800, 259200, 432000,
    604800, 1209600, 2592000, 5184000, 7776000, 15552000, 31536000];
  var ticks = nice.map(function (t) { return t / HOUR; }).filter(function (h) { return h >= start && h <= end; });
  while (ticks.length > 8) ticks = ticks.filter(function (_, i) { return i % 2 === 0; });

  // marks are the vertical lines: the MTPD and the worst single failure's recovery.
  var marks = [];
  if (d.mtpd != null) marks.push({ x: d.mtpd / HOUR, colour: mtpdColour, dash: [6, 4], text: "MTPD " + hours(d.mtpd / HOUR) });
  if (d.worst && d.worst.up != null) {
    marks.push({ x: d.worst.up / HOUR, colour: worstColour, dash: [2, 3], text: "worst failure: back after " + hours(d.worst.up / HOUR) });
  } else if (d.worst) {
    marks.push({ x: end, colour: worstColour, dash: [2, 3], text: "worst failure: never back", right: true });
  }

  var markPlugin = {
    id: "perduraMarks",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx, area = chart.chartArea, xs = chart.scales.x;
      ctx.save();
      ctx.font = "600 12px system-ui, sans-serif";
      marks.forEach(function (m, i) {
        var x = xs.getPixelForValue(m.x);
        if (x < area.left || x > area.right + 1) return;
        ctx.strokeStyle = m.colour;
        ctx.fillStyle = m.colour;
        ctx.lineWidth = 2;
        ctx.setLineDash(m.dash);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        var w = ctx.measureText(m.text).width;
        var tx = m.right || x + 4 + w > area.right ? x - 4 - w : x + 4;
        ctx.fillText(m.text, Math.max(area.left + 2, tx), area.top + 14 + i * 16);
      });
      ctx.restore();
    }
  };

  var chart = new Chart(canvas, {
    type: "line",
    data: {
      datasets: [{
        label: "Impact level",
        data: points,
        stepped: "before",
        borderWidth: 3,
        pointRadius: function (c) { return points[c.dataIndex] && points[c.dataIndex].edge ? 0 : 4; },
        pointBackgroundColor: function (c) { return colours[points[c.dataIndex].y] || "#57606a"; },
        borderColor: "#0b5cad",
        segment: {
          borderColor: function (c) {
            return d.tolerance >= 0 && c.p0.parsed.y >= d.tolerance ? mtpdColour : "#0b5cad";
          }
        },
        fill: false
      }]
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: true,
      interaction: { mode: "nearest", intersect: false, axis: "x" },
      scales: {
        x: {
          type: "logarithmic",
          min: start,
          max: end,
          title: { display: true, text: "Time since the outage began (logarithmic)", color: "#1b1f24" },
          afterBuildTicks: function (axis) { axis.ticks = ticks.map(function (h) { return { value: h }; }); },
          ticks: { color: "#1b1f24", autoSkip: false, callback: function (v) { return hours(v); } },
          grid: { color: "#e5e9ee" }
        },
        y: {
          min: 0,
          max: levels.length - 0.75, // room above "severe" for the line to show
          title: { display: true, text: "Impact level", color: "#1b1f24" },
          ticks: { stepSize: 1, color: "#1b1f24", callback: function (v) { return v === Math.round(v) ? levels[v] || "" : ""; } },
          grid: { color: "#e5e9ee" }
        }
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: function (items) { return items.length ? "after " + hours(items[0].parsed.x) : ""; },
            label: function (item) {
              var p = points[item.dataIndex];
              return levels[p.y] + (p.note ? ": " + p.note : "");
            }
          }
        }
      }
    },
    plugins: [markPlugin]
  });
  if (chart) canvas.dataset.ready = "true";
})();
