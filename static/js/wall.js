/* The outcomes wall reloads itself every few minutes so its figures stay current (nobody touches it).
   Not a <meta> refresh: a reload waits while someone is using the page (a touch, a key, the mouse, a
   scroll) and comes a full period after the last use, so no one reading it is interrupted. */
(() => {
  const period = Number(document.documentElement.dataset.refreshSeconds || 0) * 1000;
  if (!period) return;
  let last = Date.now();
  for (const kind of ["pointerdown", "keydown", "wheel", "scroll", "mousemove", "touchstart"]) {
    window.addEventListener(kind, () => { last = Date.now(); }, {passive: true, capture: true});
  }
  const check = () => {
    const quiet = Date.now() - last;
    if (quiet >= period) window.location.reload();
    else window.setTimeout(check, period - quiet);
  };
  window.setTimeout(check, period);
})();
