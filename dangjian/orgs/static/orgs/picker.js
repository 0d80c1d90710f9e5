/* Tree picker ({% tree_picker %}): choose a result, clear, close on outside click; results
   that arrive after the user has left the search box (a search still on its way when a result
   was chosen) are dropped instead of opening the list again. */
(function () {
  "use strict";
  if (window.dangjianOrgPicker) return;
  window.dangjianOrgPicker = true;
  function box(el) { return el.closest("[data-org-picker]"); }
  function set(picker, id, label) {
    var hidden = picker.querySelector("[data-org-picker-value]");
    hidden.value = id;
    picker.querySelector("[data-org-picker-label]").value = label;
    picker.querySelector("[data-org-picker-results]").innerHTML = "";
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var target = evt.detail.target;
    if (!target || !target.matches || !target.matches("[data-org-picker-results]")) return;
    var input = box(target).querySelector("[data-org-picker-label]");
    if (document.activeElement !== input) evt.detail.shouldSwap = false;
  });
  document.addEventListener("click", function (evt) {
    var pick = evt.target.closest("[data-org-pick]");
    if (pick && box(pick)) {
      evt.preventDefault();
      set(box(pick), pick.dataset.orgPick, pick.dataset.orgLabel);
      return;
    }
    var clear = evt.target.closest("[data-org-picker-clear]");
    if (clear && box(clear)) {
      set(box(clear), "", "");
      return;
    }
    document.querySelectorAll("[data-org-picker-results]").forEach(function (list) {
      if (!list.parentElement.contains(evt.target)) list.innerHTML = "";
    });
  });
})();
