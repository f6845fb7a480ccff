// qygeo serve: the page's script. Data from the server is put in the page only as
// text (textContent, option values, DOM nodes given to Leaflet), never as markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const app = { map: null, layers: {}, preview: null, config: null };
  window.qygeoApp = app;

  // The token (servers not bound to loopback) comes in the address as #token=…,
  // which the browser never sends to the server, and is kept for this tab only.
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    sessionStorage.setItem("qygeo-token", hash.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  function editHeaders() {
    const h = { "X-Qygeo-Client": "qygeo-serve-page" };
    const t = sessionStorage.getItem("qygeo-token");
    if (t) h["X-Qygeo-Token"] = t;
    return h;
  }
  async function api(method, url, body) {
    const opts = { method, headers: method === "GET" ? {} : editHeaders() };
    if (body) opts.body = body;
    const r = await fetch(url, opts);
    let doc = null;
    try {
      doc = await r.json();
    } catch (e) {  // also an answer that says 200: its data cannot be shown
      doc = { error: "HTTP " + r.status + ": the server's answer is not JSON (" + e.message +
                     ")" };
      if (r.ok) throw new Error(doc.error);
    }
    if (!r.ok) {
      const raw = doc && doc.error ? doc.error : "HTTP " + r.status;
      const err = new Error(pageText(raw));
      err.raw = raw;  // for a tab whose controls are named otherwise (History's Force)
      err.status = r.status;
      throw err;
    }
    return doc;
  }
  // The library's messages name the command line's options; this page has controls
  // for most of them, named here as the page labels them.
  const CONTROLS = {
    "--crs": "坐标系 CRS", "--layer": "图层 Layer", "--feature": "要素 Feature",
    "--dissolve": "合并多个要素 Dissolve", "--fix": "修复无效几何 Repair",
    "--allow-overlap": "允许重叠 Allow overlap", "--force": "强制 Force",
    "--id": "ID", "--name-zh": "中文名 Chinese name", "--name-en": "English name",
    "--kind": "类型 Kind", "--parent": "上级园区 Parent park", "--quality": "边界质量 Quality",
    "--district": "区县 District", "--source": "来源 Source", "--notes": "备注 Notes",
    "--dry-run": "预览 Preview",
  };
  // On the History tab, --force (of `qygeo park undo`) is its own box beside Undo.
  const UNDO_CONTROLS = { "--force": "强制撤销 Force undo" };
  // The commands they suggest, as the page's controls that do the same.
  const COMMANDS = [
    [/run qygeo park update (\S+) FILE/g, "choose “更新边界 Replace the boundary of” for $1"],
    [/qygeo park update (\S+) FILE/g, "“更新边界 Replace the boundary of” $1"],
    // "pass --force": the page's on/off options are boxes, the others fields or lists.
    [/\bpass (--(?:force|fix|allow-overlap|dissolve)\b)/g, "tick $1"],
    [/\bpass (--[a-z][a-z0-9-]*)/g, "set $1"],
  ];
  function pageText(message, controls) {
    const names = Object.assign({}, CONTROLS, controls || {});
    let text = String(message);
    for (const [command, control] of COMMANDS) text = text.replace(command, control);
    return text.replace(/--[a-z][a-z0-9-]*/g,
      (flag) => (names[flag] ? "“" + names[flag] + "”" : flag));
  }
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function lines(container, items, cls, controls) {
    for (const t of items || []) container.appendChild(el("div", pageText(t, controls), cls));
  }
  const fmt = (v, d) => (v === null || v === undefined ? "–" :
    Number(v).toLocaleString("en", { maximumFractionDigits: d, minimumFractionDigits: d }));

  // ---------------------------------------------------------------- tabs
  for (const b of document.querySelectorAll("nav button")) {
    b.addEventListener("click", () => {
      for (const x of document.querySelectorAll("nav button")) x.classList.remove("active");
      for (const x of document.querySelectorAll(".tab")) x.classList.remove("active");
      b.classList.add("active");
      $("tab-" + b.dataset.tab).classList.add("active");
      if (b.dataset.tab === "edit" && app.map) {
        app.map.invalidateSize();
        if (app.districtBounds) app.map.fitBounds(app.districtBounds);
        app.districtBounds = null;  // fitted once, when first shown at its size
      }
      // A map page loaded while its tab was hidden has no size (Leaflet fails): load it
      // when it is shown.
      if (b.dataset.tab === "map" && app.mapStale) reloadMap();
      // Undo undoes the change listed on top: list what is there now.
      if (b.dataset.tab === "history") showHistory();
    });
  }

  // ---------------------------------------------------------------- parks, list, map
  function nameOf(p) { return [p.name_zh, p.name_en].filter(Boolean).join(" / "); }

  async function loadParks() {
    const fc = await api("GET", "/api/parks");
    app.parks = fc;
    const ids = $("park-ids"), sel = $("report-parks"), body = $("park-list").tBodies[0];
    // The report keeps the parks chosen that still exist (one undone is no longer offered).
    const chosen = new Set([...sel.selectedOptions].map((o) => o.value));
    ids.replaceChildren(); sel.replaceChildren(); body.replaceChildren();
    for (const f of fc.features) {
      const p = f.properties;
      const o = el("option", p.park_id + " " + nameOf(p)); o.value = p.park_id;
      o.selected = chosen.has(p.park_id); sel.appendChild(o);
      const d = el("option"); d.value = p.park_id; d.label = nameOf(p); ids.appendChild(d);
      const tr = el("tr"); tr.dataset.parkId = p.park_id;
      for (const v of [p.park_id, p.name_zh, p.name_en,
                       (p.district_adcode || "") + " " + (p.district_name_zh || "")])
        tr.appendChild(el("td", v));
      tr.appendChild(el("td", fmt(p.area_km2, 3), "num"));
      tr.appendChild(el("td", fmt(p.area_mu, 0), "num"));
      tr.appendChild(el("td", p.boundary_quality)); tr.appendChild(el("td", p.added_on));
      const td = el("td"); const a = el("a", "地图 map");
      a.href = "/maps/parks/" + encodeURIComponent(p.park_id) + ".html"; a.target = "_blank";
      a.rel = "noopener"; td.appendChild(a); tr.appendChild(td);
      body.appendChild(tr);
    }
    if (app.layers.parks) {
      app.layers.parks.clearLayers(); app.layers.parks.addData(fc);
    }
    refreshDownloads();  // the links and a report shown name only the parks listed
    if ($("report-frame").getAttribute("src") !== "about:blank")
      $("report-frame").src = reportQuery("html");
    if ($("tab-map").classList.contains("active")) reloadMap(); else app.mapStale = true;
  }

  function reloadMap() {
    app.mapStale = false;
    $("map-frame").src = "/maps/index.html?t=" + Date.now();
  }

  function tooltip(text) { return el("span", text); }

  async function initMap() {
    app.map = L.map("edit-map", { preferCanvas: false }).setView([23.9, 113.0], 8);
    L.control.scale({ imperial: false }).addTo(app.map);
    const districts = await api("GET", "/api/districts");
    app.layers.districts = L.geoJSON(districts, {
      style: { color: "#666", weight: 1, fillOpacity: 0.03, dashArray: "4 3" },
      onEachFeature: (f, l) => l.bindTooltip(tooltip(f.properties.adcode + " " +
        [f.properties.name_zh, f.properties.name_en].filter(Boolean).join(" / "))),
    }).addTo(app.map);
    app.layers.parks = L.geoJSON(null, {
      style: { color: "#24507a", weight: 2, fillOpacity: 0.15 },
      onEachFeature: (f, l) => l.bindTooltip(tooltip(f.properties.park_id + " " +
        nameOf(f.properties))),
    }).addTo(app.map);
    app.layers.preview = L.geoJSON(null, { style: { color: "#d7191c", weight: 3, fillOpacity: 0.25 } })
      .addTo(app.map);
    app.layers.gcj = L.geoJSON(null, { style: { color: "#f28e2b", weight: 3, dashArray: "6 4",
      fillOpacity: 0.1 } });
    if (app.parks) app.layers.parks.addData(app.parks);
    app.map.fitBounds(app.layers.districts.getBounds());
    // Hidden, the map has no size and fits the world: fitted again when first shown.
    app.districtBounds = app.layers.districts.getBounds();
  }

  // ---------------------------------------------------------------- report
  function reportQuery(format) {
    const q = new URLSearchParams();
    for (const o of $("report-parks").selectedOptions) q.append("park", o.value);
    if ($("report-year").value) q.set("year", $("report-year").value);
    if ($("report-asof").value) q.set("as_of", $("report-asof").value);
    q.set("format", format);
    return "/api/report?" + q.toString();
  }
  function refreshDownloads() {
    for (const f of ["csv", "xlsx", "json", "markdown"]) $("dl-" + f).href = reportQuery(f);
  }
  $("report-form").addEventListener("submit", (e) => {
    e.preventDefault(); refreshDownloads(); $("report-frame").src = reportQuery("html");
  });
  $("report-form").addEventListener("change", refreshDownloads);

  // ---------------------------------------------------------------- add / update
  const mode = () => document.querySelector("input[name=mode]:checked").value;
  for (const r of document.querySelectorAll("input[name=mode]"))
    r.addEventListener("change", () => {
      for (const x of document.querySelectorAll(".add-only")) x.hidden = mode() !== "add";
    });
  $("edit-crs-choice").addEventListener("change", () => {
    $("edit-epsg").hidden = $("edit-crs-choice").value !== "epsg";
  });
  // The lists are filled by the next preview: another file empties both, another layer
  // its feature list (the previous layer's features are not this layer's).
  function resetChoices(ids) {
    for (const id of ids) { $(id).replaceChildren(el("option", "—")); $(id).options[0].value = ""; }
    $("edit-confirm").disabled = true;
  }
  $("edit-file").addEventListener("change", () => resetChoices(["edit-layer", "edit-feature"]));
  $("edit-layer").addEventListener("change", () => resetChoices(["edit-feature"]));

  function formData(withNames) {
    const fd = new FormData();
    const file = $("edit-file").files[0];
    if (file) fd.append("file", file, file.name);
    const choice = $("edit-crs-choice").value;
    fd.append("crs", choice === "epsg" ? $("edit-epsg").value.trim() : choice);
    if ($("edit-layer").value) fd.append("layer", $("edit-layer").value);
    if ($("edit-feature").value) fd.append("feature", $("edit-feature").value);
    fd.append("dissolve", $("edit-dissolve").checked);
    fd.append("fix", $("edit-fix").checked);
    fd.append("allow_overlap", $("edit-overlap").checked);
    fd.append("force", $("edit-force").checked);
    fd.append("quality", $("edit-quality").value);
    for (const [k, id] of [["district", "edit-district"], ["source", "edit-source"],
                           ["notes", "edit-notes"]])
      if ($(id).value.trim()) fd.append(k, $(id).value.trim());
    if (withNames) {
      fd.append("park_id", $("edit-id").value.trim());
      fd.append("name_zh", $("edit-name-zh").value);
      fd.append("name_en", $("edit-name-en").value);
      fd.append("kind", $("edit-kind").value);
      if ($("edit-parent").value.trim()) fd.append("parent", $("edit-parent").value.trim());
    }
    return fd;
  }

  function drawPreview() {
    const p = app.preview;
    app.layers.preview.clearLayers(); app.layers.gcj.clearLayers();
    if (!p || !p.feature) return;
    app.layers.preview.addData(p.feature);
    if (p.as_gcj02) {
      app.layers.gcj.addData({ type: "Feature", properties: {}, geometry: p.as_gcj02.geometry });
      $("edit-shift").textContent = fmt(p.as_gcj02.shift_m, 0) + " m";
    } else {
      $("edit-shift").textContent = "–";
    }
    toggleGcj();
    app.map.fitBounds(app.layers.preview.getBounds().pad(0.5));
  }
  function toggleGcj() {
    const on = $("edit-gcj").checked && app.preview && app.preview.as_gcj02;
    if (on) app.layers.gcj.addTo(app.map); else app.map.removeLayer(app.layers.gcj);
  }
  $("edit-gcj").addEventListener("change", toggleGcj);

  function showPreview(p) {
    const out = $("edit-result"); out.replaceChildren();
    const dl = el("dl");
    const row = (k, v) => { dl.appendChild(el("dt", k)); dl.appendChild(el("dd", v)); };
    row("状态 Status", !p.ok ? "将被拒绝 would be refused"
      : p.unchanged ? "无变化，不会写入 No change: nothing would be written"
      : "可以写入 can be written");
    if (p.crs) row("坐标系 CRS", pageText(p.crs));
    row("面积 Area", fmt(p.area_km2, 4) + " km² = " + fmt(p.area_mu, 1) + " 亩 mu");
    if (p.district) row("区县 District", p.district.adcode + " " + p.district.name + " (" +
      fmt(p.district.share * 100, 1) + "%)");
    row("重叠 Overlaps", p.overlaps.length ? p.overlaps.map((o) => o.park_id + " " + o.name +
      " " + fmt(o.area_m2, 0) + " m²").join("; ") : "无 none");
    out.appendChild(dl);
    out.appendChild(el("h3", "检查 Checks"));
    lines(out, p.errors, "error");
    lines(out, p.notes, "note");
    lines(out, p.summary, "ok");
    const layerSel = $("edit-layer");
    if (p.layers && p.layers.length > 1 && layerSel.options.length <= 1) {
      p.layers.forEach((n, i) => {
        const o = el("option", p.layer_labels[i]); o.value = n; layerSel.appendChild(o);
      });
    }
    // Labels "#3 name": "#3" picks feature 3 (a plain "3" is refused as ambiguous when a
    // feature's attribute is 3 too, as parcel numbers often are).
    const featureSel = $("edit-feature");
    if (p.features && p.features.length > 1 && featureSel.options.length <= 1) {
      for (const label of p.features) {
        const o = el("option", label); o.value = label.split(" ")[0];
        featureSel.appendChild(o);
      }
    }
  }

  $("edit-preview").addEventListener("click", async () => {
    const out = $("edit-result"); out.replaceChildren(el("div", "…"));
    $("edit-confirm").disabled = true;
    const fd = formData(true);
    if (mode() === "update") fd.append("update", "true");
    try {
      app.preview = await api("POST", "/api/parks/preview", fd);
      showPreview(app.preview); drawPreview();
      $("edit-confirm").disabled = !app.preview.ok;
    } catch (e) {
      app.preview = null; drawPreview(); out.replaceChildren(el("div", e.message, "error"));
    }
  });

  // Confirm writes what was previewed: any change to the form after a preview (another
  // CRS, id or option) needs a new preview first.
  for (const ev of ["input", "change"])
    $("edit-form").addEventListener(ev, (e) => {
      if (e.target.id !== "edit-confirm") $("edit-confirm").disabled = true;
    });

  $("edit-confirm").addEventListener("click", async () => {
    const out = $("edit-result");
    const id = $("edit-id").value.trim();
    if ($("edit-confirm").disabled) return;
    $("edit-confirm").disabled = true;
    // The version of parks.geojson the preview was planned against: the server refuses
    // (409) when another tab or program has written it since.
    const fd = formData(mode() === "add");
    fd.append("parks_sha256", app.preview.parks_sha256);
    try {
      const r = mode() === "add" ? await api("POST", "/api/parks", fd)
        : await api("PUT", "/api/parks/" + encodeURIComponent(id), fd);
      // As `qygeo park update` says: a byte-identical file is not written, and has no
      // history entry of its own for Undo.
      out.replaceChildren(el("h3", r.written ? "已写入 Written"
        : "未改变，未写入 Unchanged: nothing written, no history entry"));
      lines(out, r.summary, "ok"); lines(out, r.notes, "note");
      app.preview = null; drawPreview();
      await loadParks(); await showHistory();
    } catch (e) {
      if (e.status === 409) {  // the preview was of parks since changed: it is gone
        app.preview = null; drawPreview();
        out.replaceChildren(el("div", e.message, "error"));
        await loadParks(); await showHistory();  // show what changed
      } else {
        out.prepend(el("div", e.message, "error"));  // at the top, where it is seen
      }
    }
  });

  // ---------------------------------------------------------------- history, undo
  // Undo stays disabled until a listing succeeded: it sends the listed parks_sha256.
  async function loadHistory() {
    $("undo").disabled = true;
    const h = await api("GET", "/api/history");
    app.historySha = h.parks_sha256;  // sent with Undo
    // What was found on the way (an interrupted park command completed or rolled back).
    // Recovery runs once, so only the first listing after it has notes: a later listing
    // (showing the tab, after an edit) keeps them on the page instead of wiping them.
    if (h.notes && h.notes.length) {
      const notes = $("history-notes"); notes.replaceChildren();
      lines(notes, h.notes, "note", UNDO_CONTROLS);
    }
    const ol = $("history-list"); ol.replaceChildren();
    for (const x of h.history)
      ol.appendChild(el("li", (x.at || "") + "  " + (x.action || "?") + " " + (x.park_id || "") +
        "  (" + x.snapshot + ")"));
    $("undo").disabled = h.history.length === 0;
  }
  $("undo").addEventListener("click", async () => {
    // One click, one undo: a double click must not undo the change before it too.
    if ($("undo").disabled) return;
    $("undo").disabled = true;
    const out = $("history-result"); out.replaceChildren();
    try {
      const q = new URLSearchParams({ parks_sha256: app.historySha });
      if ($("undo-force").checked) q.set("force", "true");
      const r = await api("POST", "/api/undo?" + q.toString());
      lines(out, r.summary, "ok", UNDO_CONTROLS); lines(out, r.notes, "note", UNDO_CONTROLS);
      $("undo-force").checked = false;  // forcing is for this one refused undo only
    } catch (e) {
      out.appendChild(el("div", e.raw ? pageText(e.raw, UNDO_CONTROLS) : e.message, "error"));
    }
    await loadParks();
    await showHistory();  // enables it again when there is history
  });
  // A listing that fails is told on the History tab, where Undo is.
  function showHistory() {
    return loadHistory().catch((e) =>
      $("history-result").replaceChildren(el("div", e.message, "error")));
  }

  // ---------------------------------------------------------------- start
  async function start() {
    app.config = await api("GET", "/api/config");
    for (const k of app.config.kinds) { const o = el("option", k); o.value = k; $("edit-kind").appendChild(o); }
    // Empty: the quality park add records (surveyed; approximate for a GCJ-02/BD-09 file).
    const auto = el("option", "自动 default");
    auto.value = ""; $("edit-quality").appendChild(auto);
    for (const q of app.config.qualities) { const o = el("option", q); o.value = q; $("edit-quality").appendChild(o); }
    $("edit-kind").value = "industrial_park";
    await loadParks();  // sets the download links: the report needs no history
    await initMap();
    await showHistory();
    app.ready = true;
  }
  start().catch((e) => { document.body.appendChild(el("div", e.message, "error")); });
})();
