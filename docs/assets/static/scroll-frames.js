// What scrolls sideways inside the text column: a table in the theme's frame (.md-typeset__scrollwrap, which
// Material's script wraps around every table) and a notebook's code or output. Such a frame takes the keyboard's
// focus, so that a reader without a mouse can scroll it too (axe: scrollable-region-focusable); a frame with
// nothing hidden stays out of the tab order.
"use strict";
(() => {
  const FRAMES = ".md-typeset__scrollwrap, .highlight-ipynb, .jp-OutputArea-output pre";
  const reachable = () => {
    for (const frame of document.querySelectorAll(FRAMES)) {
      if (frame.scrollWidth > frame.clientWidth) {
        frame.tabIndex = 0;
      } else {
        frame.removeAttribute("tabindex");
      }
    }
  };
  document$.subscribe(reachable);
  window.addEventListener("resize", reachable);
})();
