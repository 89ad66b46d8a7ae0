// The what-if page: draws the timeline chart (a floating bar per service that goes down, from
// the failure to when it is back, and a mark at its RTO), turns each service picked in the
// search box into a ticked box, and lets htmx show the 400 answer (a bad name) in place.
(function () {
  "use strict";

  var colours = {
    meets: "#1a7f37",
    misses: "#b42318",
    never: "#6e1010",
    none: "#8c959f",
    rto: "#1b1f24"
  };

  // human writes seconds as people read them, exactly, as the server does (binder.Dur):
  // "4h 30m", "1d 20m"; weeks only for whole weeks.
  function human(secs) {
    if (secs === null || secs === undefined) return "—";
    if (secs === 0) return "0";
    var units = [[604800, "w"], [86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
    if (secs % 604800 !== 0) units = units.slice(1);
    var parts = [];
    for (var i = 0; i < units.length; i++) {
      if (secs >= units[i][0]) {
        parts.push(Math.floor(secs / units[i][0]) + units[i][1]);
        secs %= units[i][0];
      }
    }
    return parts.join(" ");
  }

  // axisStep picks a tick step in seconds that gives about eight ticks over the horizon.
  function axisStep(horizon) {
    var steps = [900, 1800, 3600, 7200, 14400, 21600, 43200, 86400, 172800, 604800, 1209600, 2419200];
    for (var i = 0; i < steps.length; i++) {
      if (horizon / steps[i] <= 10) return steps[i];
    }
    return steps[steps.length - 1];
  }

  function draw(root) {
    var canvas = root.querySelector ? root.querySelector("#whatif-chart") : null;
    if (!canvas && root.id === "whatif-chart") canvas = root;
    if (!canvas || canvas.dataset.ready === "true" || typeof Chart === "undefined") return;
    var src = document.getElementById("whatif-chart-data");
    if (!src) return;
    var d = JSON.parse(src.textContent);
    var status = d.status;
    var bars = d.up.map(function (u) { return [0, u]; });
    var marks = [];
    d.rto.forEach(function (r, i) {
      if (r !== null) marks.push({ x: r, y: d.labels[i] });
    });
    var step = axisStep(d.horizon);
    var max = Math.ceil(d.horizon / step) * step;
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var old = Chart.getChart(canvas);
    if (old) old.destroy();
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          {
            label: "Back after",
            data: bars,
            backgroundColor: status.map(function (s) { return colours[s]; }),
            borderColor: status.map(function (s) { return colours[s]; }),
            borderSkipped: false,
            minBarLength: 3, // a 5-minute outage on a 6-day axis is still a visible bar
            barPercentage: 0.75,
            categoryPercentage: 0.9,
            order: 2
          },
          {
            type: "scatter",
            label: "RTO",
            data: marks,
            pointStyle: "line",
            rotation: 90,
            radius: 11,
            hoverRadius: 13,
            borderWidth: 3,
            borderColor: colours.rto,
            backgroundColor: colours.rto,
            order: 1
          }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduce ? false : { duration: 300 },
        scales: {
          x: {
            type: "linear",
            min: 0,
            max: max,
            position: "top",
            title: { display: true, text: "time since the failure" },
            ticks: { stepSize: step, callback: function (v) { return human(v); } }
          },
          y: { type: "category", ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var i = ctx.dataIndex;
                if (ctx.dataset.type === "scatter") return "RTO " + human(ctx.raw.x);
                var s = status[i];
                var rto = d.rto[i] === null ? "no RTO" : "RTO " + human(d.rto[i]);
                if (s === "never") return "not back within the horizon; " + rto;
                return "back after " + human(d.up[i]) + "; " + rto + (s === "misses" ? " (misses)" : "");
              }
            }
          }
        },
        onClick: function (evt, els) {
          if (!els.length) return;
          var name = d.labels[els[0].index];
          window.location.href = "/services/" + encodeURIComponent(name);
        }
      }
    });
    canvas.dataset.ready = "true";
  }

  // pick turns a service chosen in the search box into a ticked box and empties the box, so
  // several services can be chosen; a name typed without picking is sent as it is.
  function pick(input) {
    var v = input.value.trim();
    if (v.indexOf("service/") !== 0) return;
    var list = document.getElementById("whatif-chosen");
    if (!list) return;
    var id = "fail-" + v;
    if (!document.getElementById(id)) {
      var li = document.createElement("li");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "fail";
      box.value = v;
      box.id = id;
      box.checked = true;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = v.slice("service/".length);
      li.appendChild(box);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(label);
      list.appendChild(li);
    }
    input.value = "";
  }

  document.addEventListener("change", function (e) {
    if (e.target && e.target.id === "whatif-service") pick(e.target);
  });

  // A bad name is answered 400 with the message as the results: show it rather than
  // nothing, which is what htmx does by default with an error status.
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status === 400 && e.detail.target && e.detail.target.id === "whatif-results") {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });

  // The form sends its empty fields (the search box, "no scenario"); leave them out so the
  // pushed URL is as short as the one to share: /whatif?fail=site/dc-frankfurt.
  document.addEventListener("htmx:configRequest", function (e) {
    var fd = e.detail.formData;
    if (!fd || !e.detail.elt || e.detail.elt.id !== "whatif-form") return;
    var keys = [];
    fd.forEach(function (v, k) { if (keys.indexOf(k) < 0) keys.push(k); });
    keys.forEach(function (k) {
      var vs = fd.getAll(k).filter(function (v) { return String(v).trim() !== ""; });
      fd.delete(k);
      vs.forEach(function (v) { fd.append(k, v); });
    });
  });

  // After new results arrive, keyboard and screen reader users land on their heading, unless
  // they have already moved on to typing somewhere.
  document.addEventListener("htmx:afterSwap", function (e) {
    var t = e.detail.target;
    if (!t || t.id !== "whatif-results") return;
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" && a.type !== "checkbox" || a.tagName === "SELECT" || a.tagName === "TEXTAREA")) return;
    var h = document.getElementById("whatif-results-h");
    if (h && h.tabIndex === -1) h.focus({ preventScroll: true });
  });

  // A what-if opened from a link (a shared one, the dashboard's) already has its results; on a
  // phone they sit a long form below, so the page opens at them. The form stays above.
  function openAtResults() {
    if (location.hash || window.innerWidth >= 760) return;
    var h = document.getElementById("whatif-results-h");
    if (h) h.scrollIntoView();
  }

  document.addEventListener("htmx:afterSettle", function () { draw(document); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); openAtResults(); });
  } else {
    draw(document);
    openAtResults();
  }
})();
