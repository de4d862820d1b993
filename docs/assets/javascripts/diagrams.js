// Diagrams a reader can read: Material draws each mermaid diagram scaled down to the page's
// width, which makes the chapter's text 4 px tall on a phone. Drawn at its natural size instead,
// the diagram scrolls sideways in its figure (stylesheets/theme.css). Its figure's caption and
// description become the drawing's title and description, for screen readers.
"use strict";

(() => {
  if (typeof mermaid === "undefined") return;

  const initialize = mermaid.initialize.bind(mermaid);
  mermaid.initialize = (config = {}) =>
    initialize({ ...config, flowchart: { ...config.flowchart, useMaxWidth: false } });

  const render = mermaid.render.bind(mermaid);
  mermaid.render = async (id, text, ...rest) => {
    const drawn = await render(id, text, ...rest);
    const source = [...document.querySelectorAll("pre.mermaid")].find(
      (pre) => pre.textContent === text,
    );
    const figure = source && source.closest("figure");
    const caption = figure && figure.querySelector("figcaption");
    if (!caption) return drawn;
    const described = document.getElementById(figure.getAttribute("aria-describedby") || "");
    const svg = new DOMParser().parseFromString(drawn.svg, "image/svg+xml").documentElement;
    const name = (tag, content) => {
      const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
      element.textContent = content.trim().replace(/\s+/g, " ");
      return element;
    };
    if (described) svg.prepend(name("desc", described.textContent));
    svg.prepend(name("title", caption.textContent));
    return { ...drawn, svg: new XMLSerializer().serializeToString(svg) };
  };
})();

// A table wider than the page scrolls in its box: a keyboard must reach it too.
function focusableScrollingTables() {
  const boxes = document.querySelectorAll(".md-typeset__scrollwrap");
  boxes.forEach((box, index) => {
    if (box.scrollWidth > box.clientWidth && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `Table ${index + 1}, scrolls sideways`);
    }
  });
}

if (window.document$) {
  window.document$.subscribe(focusableScrollingTables);
} else {
  document.addEventListener("DOMContentLoaded", focusableScrollingTables);
}
window.addEventListener("resize", focusableScrollingTables);
