// Download links for a page's scripts, from the manifest `runbook export` writes: what the
// runbook plugin renders into each page under MkDocs (see partials/runbook-downloads.html).
"use strict";

function runbookDownloads() {
  for (const box of document.querySelectorAll("aside[data-runbook-manifest]")) {
    fetch(box.dataset.runbookManifest)
      .then((response) => (response.ok ? response.json() : null))
      .then((manifest) => {
        const links = manifest && manifest.pages[box.dataset.runbookPage];
        if (!links || !links.length) return;
        const template = box.querySelector("template");
        for (const script of links) {
          const link = template.content.firstElementChild.cloneNode(true);
          link.href = box.dataset.runbookRoot + "/" + script.url;
          link.title = `Download the ${script.steps} command block(s) of this page as one bash script`;
          link.querySelector("span").textContent = script.label;
          box.append(link);
        }
        box.hidden = false;
      });
  }
}

// Material and Zensical load pages without reloading (navigation.instant): `document$` says when.
if (window.document$) {
  window.document$.subscribe(runbookDownloads);
} else {
  document.addEventListener("DOMContentLoaded", runbookDownloads);
}
