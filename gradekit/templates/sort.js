// Sorts the students table on load and on every change of the URL's #sort=<column>-<asc|desc>, which a header click sets.
(() => {
  const table = document.getElementById("students"), body = table.tBodies[0];
  const heads = [...table.tHead.rows[0].cells];
  function apply() {
    const m = /^#sort=(.+)-(asc|desc)$/.exec(decodeURIComponent(location.hash));
    const col = m ? heads.findIndex(th => th.dataset.key === m[1]) : -1;
    if (col < 0) return;
    const sign = m[2] === "asc" ? 1 : -1, num = heads[col].dataset.type === "num";
    const v = tr => tr.cells[col].dataset.v;
    body.append(...[...body.rows].sort((a, b) => sign * (num ? v(a) - v(b) : v(a).localeCompare(v(b)))));
    heads.forEach((th, i) => th.setAttribute("aria-sort", i === col ? (sign > 0 ? "ascending" : "descending") : "none"));
  }
  heads.filter(th => th.dataset.key).forEach(th => th.addEventListener("click", () => {
    const now = th.getAttribute("aria-sort"), first = th.dataset.type === "num" ? "desc" : "asc";
    const dir = now === "ascending" ? "desc" : now === "descending" ? "asc" : first;
    location.hash = "sort=" + encodeURIComponent(th.dataset.key) + "-" + dir;
  }));
  addEventListener("hashchange", apply);
  apply();
})();
