/* Assessment charts: drill down from a chart point to the page behind it.
   core/app.js renders every [data-echarts] chart; a chart marked data-assess-drill gets a click
   handler opening the point's own URL (carried in the option data as "url"). */
(function () {
  "use strict";
  function bind(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-echarts][data-assess-drill]").forEach(function (el) {
      if (el.dataset.drillBound) return;
      var chart = echarts.getInstanceByDom(el);
      if (!chart) return;
      el.dataset.drillBound = "1";
      chart.on("click", function (params) {
        var url = params.data && params.data.url;
        if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") {
          window.location.href = url;
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  window.addEventListener("load", function () { bind(document); });
  document.addEventListener("htmx:afterSettle", function (evt) { bind(evt.target); });
})();
