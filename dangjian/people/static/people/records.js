/* Person records pages: keep the export link in step with HTMX filters; clear revealed
   plaintext from the page as soon as the reveal dialog closes (PI-04). No inline scripts (CSP). */
(function () {
  "use strict";
  function syncExport() {
    var table = document.getElementById("person-table");
    var link = document.getElementById("export-link");
    if (!table || !link) return;
    var qs = table.getAttribute("data-querystring") || "";
    link.setAttribute("href", link.getAttribute("data-base") + (qs ? "?" + qs : ""));
  }
  document.addEventListener("htmx:afterSettle", syncExport);
  document.addEventListener("hide.bs.modal", function (evt) {
    if (evt.target && evt.target.id === "reveal-modal") {
      var content = document.getElementById("reveal-content");
      if (content) content.innerHTML = "";
    }
  });
})();
