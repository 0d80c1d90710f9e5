/* Structure analytics: drill-down from a chart to the people list behind a bar or slice.
   core/app.js renders every [data-echarts] chart; here each rendered chart gets a click
   handler that opens the figure's own list URL (carried in the option data as "url"). */
(function () {
  "use strict";
  function bind(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-echarts][data-people-drill]").forEach(function (el) {
      if (el.dataset.drillBound) return;
      var chart = echarts.getInstanceByDom(el);
      if (!chart) return;
      el.dataset.drillBound = "1";
      chart.getZr().setCursorStyle && chart.getZr().setCursorStyle("pointer");
      chart.on("click", function (params) {
        if (params.data && typeof params.data.url === "string" && params.data.url.charAt(0) === "/") {
          window.location.href = params.data.url;
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  window.addEventListener("load", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { bind(evt.target); });
})();
