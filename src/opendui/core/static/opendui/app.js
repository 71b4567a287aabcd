// Progressive enhancement only: every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Facility switcher: submit on change (the button stays for keyboard and no-JS users).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }
  // Avoid double submissions: disable the submit buttons once a form is sent.
  for (const form of document.querySelectorAll("form[method=post]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) {
        setTimeout(() => { button.disabled = true; }, 0);
      }
    });
  }
  // Record tabs: on a narrow screen, a "Rubriques du dossier" button opens the list
  // (a disclosure); without JavaScript, or on a wide screen, the list is always shown.
  for (const nav of document.querySelectorAll("[data-record-nav]")) {
    const toggle = nav.querySelector(".record-nav-toggle");
    const narrow = window.matchMedia("(max-width: 50rem)");
    const setOpen = (open) => {
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("collapsed", !open);
    };
    const apply = () => {
      toggle.hidden = !narrow.matches;
      setOpen(!narrow.matches);
    };
    toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
    narrow.addEventListener("change", apply);
    apply();
  }
  // A background job in progress (e.g. an INSi search): poll its state, reload the page
  // once it is done. Without JavaScript the region offers a plain "Actualiser" link.
  for (const region of document.querySelectorAll("[data-poll-url]")) {
    const interval = Number(region.dataset.pollInterval || 2000);
    const poll = async () => {
      try {
        const response = await fetch(region.dataset.pollUrl, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        if (!response.ok || response.redirected) return; // logged out or refused: stop
        const state = await response.json();
        if (!state.pending) {
          window.location.reload();
          return;
        }
        // A job that reports its progress: the <progress> bar and the step's label.
        const bar = region.querySelector("progress");
        if (bar && typeof state.progress === "number") {
          bar.value = state.progress;
          bar.textContent = `${state.progress} %`;
        }
        const step = region.querySelector("[data-poll-step]");
        if (step && typeof state.step === "string") step.textContent = state.step;
      } catch {
        // Network hiccup: try again at the next tick.
      }
      setTimeout(poll, interval);
    };
    setTimeout(poll, interval);
  }
});
