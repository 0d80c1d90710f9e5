/* Page behaviour without inline scripts (CSP): toasts, charts from data attributes, job polling. */
(function () {
  "use strict";
  function showToasts(root) {
    if (!window.bootstrap) return;
    root.querySelectorAll(".toast[data-autoshow]").forEach(function (el) {
      el.removeAttribute("data-autoshow");
      new bootstrap.Toast(el, { delay: 5000 }).show();
    });
  }
  function renderCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-echarts]").forEach(function (el) {
      if (el.dataset.rendered) return;
      var source = document.getElementById(el.dataset.echarts);
      if (!source) return;
      var option = JSON.parse(source.textContent);
      var chart = echarts.init(el);
      chart.setOption(option);
      el.dataset.rendered = "1";
      var drill = el.dataset.drill;
      if (drill) {
        chart.on("click", function (params) {
          var key = (params.data && params.data.key) || params.name;
          window.location.href = drill + (drill.indexOf("?") >= 0 ? "&" : "?") + "drill=" + encodeURIComponent(key);
        });
      }
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function init(root) { showToasts(root); renderCharts(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { init(evt.target); });
})();
