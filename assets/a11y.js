/* Accessibility repairs of third-party widgets (issue 10, WCAG 2.1 AA), applied as they render.
 *
 * Why here: Dash 4's dropdown puts keyboard focus on an aria-hidden decoy input that forwards it to
 * the real (tabindex=-1) button, which axe rightly flags (a hidden element that takes focus). The
 * real button, named by its <label for>, is made the tab stop instead; keyboard use is unchanged
 * (Tab reaches it, Enter/Space/arrows open it). The date picker's ARIA attributes that its role
 * does not allow are dropped. Nothing else on the page is touched.
 */
(function () {
  function fix(root) {
    var decoys = root.querySelectorAll ? root.querySelectorAll(".dash-dropdown-focus-target") : [];
    for (var i = 0; i < decoys.length; i++) {
      var d = decoys[i];
      if (d.tabIndex !== -1) { d.tabIndex = -1; }
      var button = d.parentNode && d.parentNode.querySelector("button.dash-dropdown");
      if (button && !button.disabled && button.tabIndex !== 0) { button.tabIndex = 0; }
    }
    var bad = root.querySelectorAll ? root.querySelectorAll("[data-a11y-strip]") : [];
    for (var j = 0; j < bad.length; j++) { strip(bad[j]); }
    var pickers = root.querySelectorAll ? root.querySelectorAll(".dash-datepicker-input-wrapper, .dash-datepicker-clear, [id$='-wrapper'][aria-expanded]") : [];
    for (var k = 0; k < pickers.length; k++) { strip(pickers[k]); }
  }
  function strip(el) {
    var role = el.getAttribute("role");
    if (role) { return; }
    ["aria-expanded", "aria-haspopup", "aria-controls", "aria-label"].forEach(function (a) {
      if (el.hasAttribute(a) && !(a === "aria-label" && el.tagName === "BUTTON")) { el.removeAttribute(a); }
    });
  }
  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; fix(document); });
  }
  function start() {
    fix(document);
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["tabindex", "aria-expanded"]
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
