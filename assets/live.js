/* Live page, browser side (app/pages/live.py).
 * - freshness: "N s behind" ticks locally between server updates, so an unchanged stream costs
 *   no response body at all;
 * - polling pauses while the tab is hidden (document.visibilitychange toggles the Interval).
 */
(function () {
  var receivedAt = 0;
  var lastData = null;

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    live: {
      freshness: function (fresh, _n) {
        if (!fresh) { return "Stream: no data"; }
        if (fresh !== lastData) { lastData = fresh; receivedAt = Date.now(); }
        var status = fresh.status && fresh.status !== "unknown" ? " · " + fresh.status : "";
        if (fresh.behind === null || fresh.behind === undefined) {
          return "Stream: nothing in the last hour" + status;
        }
        var behind = Math.max(0, Math.round(fresh.behind + (Date.now() - receivedAt) / 1000));
        return "Stream: " + behind + " s behind (newest event " + fresh.latest + ")" + status;
      }
    }
  });

  document.addEventListener("visibilitychange", function () {
    var dc = window.dash_clientside;
    if (!dc || !dc.set_props) { return; }
    try {
      dc.set_props("live-interval", {disabled: document.hidden});
    } catch (e) { /* not on the live page */ }
  });
})();
