// Searchable checkbox lists (core.widgets.SearchableCheckboxes): progressive enhancement.
// Adds a labelled search box before the list; typing hides the choices that do not
// match (accents and case ignored), checked choices stay visible, and a polite live
// region says how many are shown and checked. Without JavaScript the list works as is.
(() => {
  const fold = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/\s+/g, " ").trim();

  const enhance = (picker, index) => {
    const list = picker.querySelector(".picker-list");
    if (!list) return;
    const items = Array.from(list.querySelectorAll("li"));
    const keys = items.map((item) => fold(item.textContent));
    const boxes = items.map((item) => item.querySelector("input[type=checkbox]"));

    const id = `${picker.dataset.pickerFor || `picker-${index}`}-search`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = picker.dataset.searchLabel || "Rechercher";
    const search = document.createElement("input");
    search.type = "search";
    search.id = id;
    search.autocomplete = "off";
    search.setAttribute("aria-controls", list.id || "");
    const status = document.createElement("p");
    status.className = "help picker-status";
    status.id = `${id}-status`;
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    search.setAttribute("aria-describedby", status.id);
    picker.insertBefore(status, list);
    picker.insertBefore(search, status);
    picker.insertBefore(label, search);

    const update = () => {
      const words = fold(search.value).split(" ").filter(Boolean);
      let shown = 0;
      let checked = 0;
      items.forEach((item, i) => {
        const isChecked = boxes[i] && boxes[i].checked;
        const match = words.every((word) => keys[i].includes(word));
        item.hidden = !(match || isChecked);
        if (!item.hidden) shown += 1;
        if (isChecked) checked += 1;
      });
      const total = items.length;
      status.textContent =
        `${shown} sur ${total} affichée${shown > 1 ? "s" : ""}, ` +
        `${checked} cochée${checked > 1 ? "s" : ""}.`;
    };
    search.addEventListener("input", update);
    // Enter in the search box must not send the form.
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault();
    });
    list.addEventListener("change", update);
    update();
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-picker]").forEach(enhance);
  });
})();
