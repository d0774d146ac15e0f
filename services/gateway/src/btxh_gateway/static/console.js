// The console's little JavaScript (no build step): progress polling, a confirm before
// standardising, the wrong cells' message on focus. Pages work without it, less comfortably.
"use strict";

function pollProgress(box) {
  const url = box.dataset.poll;
  const bar = box.querySelector("progress");
  const text = box.querySelector(".progress-text");
  async function tick() {
    const answer = await fetch(url, { headers: { Accept: "application/json" } });
    if (!answer.ok) { text.textContent = "Không lấy được tiến độ"; return; }
    const state = await answer.json();
    bar.max = state.total || 1;
    bar.value = state.done;
    text.textContent = state.text;
    if (state.finished) {
      if (box.dataset.reload) { window.location.assign(box.dataset.reload); }
      return;
    }
    setTimeout(tick, 700);
  }
  tick();
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach(pollProgress);
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
  // The message of a wrong cell, said on focus (title shows it on hover).
  const live = document.getElementById("cell-message");
  document.querySelectorAll("td.bad input").forEach((input) => {
    input.addEventListener("focus", () => { if (live) live.textContent = input.title; });
  });
  document.querySelectorAll("input[type=file][multiple]").forEach((input) => {
    input.addEventListener("change", () => {
      const out = document.getElementById(input.id + "-chosen");
      if (out) out.textContent = Array.from(input.files).map((f) => f.name).join(", ");
    });
  });
});
