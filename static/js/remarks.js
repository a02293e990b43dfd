// "Add a remark" on return forms (templates/review/includes/return_form.html): copies the last
// remark line of the same form, empty, below it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-remark-add]");
  if (!button) return;
  const form = button.closest("form");
  const rows = form && form.querySelector("[data-remark-rows]");
  const last = rows && rows.querySelector("[data-remark-row]:last-of-type");
  if (!last) return;
  const copy = last.cloneNode(true);
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  copy.querySelectorAll("select").forEach((select) => { select.selectedIndex = 0; });
  rows.appendChild(copy);
  const first = copy.querySelector("input");
  if (first) first.focus();
});
