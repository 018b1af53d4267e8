// The phone page: photo → couplet, 春联 from a theme, keywords or a name, lock-and-refill editing,
// drawing on red paper or on the photo, and this device's last results. Plain JS, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const HISTORY_KEY = "lianjing.history";
const HISTORY_MAX = 12;
const PUNCT = /[，。、；：！？,.;:!?·…—\s]/;
const WHEN = { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" };

let photo = null;    // the last photo: {id, candidates}
let chosen = 0;      // index into photo.candidates (the API numbers candidates from 1)
let draft = null;    // the couplet in the editor: {upper, lower, banner, locks: [bool per lower char]}
let banners = [];    // 横批 offered for the draft, the one shown first

// ---------------------------------------------------------------------------------------------- helpers

function say(el, text, isError) {
  el.textContent = text;
  el.className = isError ? "error" : "";
  if (isError) el.scrollIntoView({ block: "nearest" });  // on a phone the button pressed may be far from it
}

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

function errorFrom(status, body) {
  return new ApiError((body && body.message) || ("出错了（HTTP " + status + "）"), status);
}

async function call(url, options) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    throw new ApiError("网络错误：" + err.message, 0);
  }
  let body = null;
  try { body = await response.json(); } catch (err) { /* not JSON */ }
  if (!response.ok) throw errorFrom(response.status, body);
  return body;
}

const postJson = (url, data) => call(url, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(data),
});

// A multipart upload through XMLHttpRequest, whose upload events tell how far the bytes have gone
// (fetch does not); onUploaded fires once the server has the whole photo and is working on it.
function upload(url, form, onProgress, onUploaded) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.upload.addEventListener("load", onUploaded);
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response);
      else reject(errorFrom(xhr.status, xhr.response));
    });
    xhr.addEventListener("error", () => reject(new ApiError("网络错误：上传没有完成", 0)));
    xhr.send(form);
  });
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  node.append(...children);
  return node;
}

// A result picture with its save link and, where the phone can share files, a share button.
function showImage(prefix, url, couplet) {
  const ids = prefix ? [prefix + "-figure", prefix + "-image", prefix + "-download", prefix + "-share"]
                     : ["figure", "result-image", "download", "share"];
  const [figure, img, download, share] = ids.map($);
  figure.hidden = false;
  img.src = url;
  img.alt = couplet.upper + " / " + couplet.lower + " / " + couplet.banner;
  download.href = url;
  download.download = couplet.upper.slice(0, 8) + ".jpg";
  share.hidden = !navigator.share;
  share.onclick = () => shareImage(url, couplet);
}

async function shareImage(url, couplet) {
  const text = couplet.upper + "\n" + couplet.lower + "\n横批：" + couplet.banner;
  try {
    const blob = await (await fetch(url)).blob();
    const file = new File([blob], "对联.jpg", { type: "image/jpeg" });
    if (navigator.canShare && navigator.canShare({ files: [file] })) {
      await navigator.share({ files: [file], text });
    } else {
      await navigator.share({ url: new URL(url, location.href).href, text });
    }
  } catch (err) { /* the user closed the share sheet */ }
}

// ---------------------------------------------------------------------------------------------- tabs

const TABS = ["photo", "spring", "text"];

function showTab(name) {
  for (const tab of TABS) {
    $(tab).hidden = tab !== name;
    if (tab === name) $("tab-" + tab).setAttribute("aria-current", "page");
    else $("tab-" + tab).removeAttribute("aria-current");
  }
}
for (const tab of TABS) {
  $("tab-" + tab).addEventListener("click", (event) => {
    event.preventDefault();
    showTab(tab);
    history.replaceState(null, "", "#" + tab);
  });
}
const tabFromHash = () => showTab(TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "photo");
window.addEventListener("hashchange", tabFromHash);
tabFromHash();

// ---------------------------------------------------------------------------------------------- history

function loadHistory() {
  try {
    const items = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(items) ? items : [];
  } catch (err) {
    return [];
  }
}

function remember(item) {
  const items = [{ ...item, at: Date.now() }, ...loadHistory().filter((old) => old.url !== item.url)];
  try {
    localStorage.setItem(HISTORY_KEY, JSON.stringify(items.slice(0, HISTORY_MAX)));
  } catch (err) { /* private mode or full: the page works without it */ }
  showHistory();
}

function showHistory() {
  const items = loadHistory();
  const list = $("history");
  list.innerHTML = "";
  $("history-section").hidden = items.length === 0;
  for (const item of items) {
    const img = el("img", { src: item.url, alt: "", loading: "lazy" });
    const when = new Date(item.at).toLocaleString("zh-CN", WHEN);
    const kind = item.kind === "photo" ? "照片" : "红纸";
    const meta = el("div", { className: "meta", textContent: kind + " · " + when });
    // Results expire after a day; the couplet's text stays and can be drawn again.
    img.addEventListener("error", () => {
      img.replaceWith(el("img", { alt: "" }));
      meta.textContent += " · 图片已过期";
    });
    const text = el("div", { className: "text" },
      el("div", { textContent: item.upper }), el("div", { textContent: item.lower }), meta);
    const open = el("button", { type: "button", className: "secondary small", textContent: "再改" });
    open.addEventListener("click", () => editInSpringMode(item));
    const li = el("li", {}, img, text, open);
    img.addEventListener("click", () => window.open(item.url, "_blank"));
    list.appendChild(li);
  }
}
showHistory();

// ---------------------------------------------------------------------------------------------- examples

async function showExamples() {
  let examples;
  try {
    examples = await call("/static/examples/examples.json");
  } catch (err) {
    return;  // examples are a nicety: without them the page still works
  }
  const list = $("example-list");
  for (const ex of examples) {
    list.appendChild(el("figure", {},
      el("img", { src: "/static/examples/" + ex.file, alt: ex.upper + " / " + ex.lower + " / " + ex.banner }),
      el("figcaption", { textContent: ex.caption })));
  }
  $("examples").hidden = photo !== null;
}
showExamples();

// ---------------------------------------------------------------------------------------------- photo mode

const STEPS = ["上传", "识图", "选上联", "对下联", "画图"];
const STEP_MS = 450;  // a typical server stage; the steps after the upload advance on this clock

function progress(step, share) {
  const bar = $("progress-bar");
  bar.classList.toggle("busy", share === null);
  bar.firstElementChild.style.width = share === null ? "" : Math.round(share * 100) + "%";
  if (share === null) bar.removeAttribute("aria-valuenow");
  else bar.setAttribute("aria-valuenow", String(Math.round(share * 100)));
  [...$("progress-steps").children].forEach((li, i) => {
    li.className = i < step ? "done" : i === step ? "now" : "";
  });
  $("progress-text").textContent =
    share === null ? "正在" + STEPS[step] + "……" : "上传 " + Math.round(share * 100) + "%";
}

function busy(on) {
  for (const id of ["render", "regenerate", "file", "to-editor"]) $(id).disabled = on;
}

$("file").addEventListener("change", async () => {
  const file = $("file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  const preview = $("photo-preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  $("photo-progress").hidden = false;
  $("examples").hidden = true;
  say($("photo-status"), "");
  busy(true);
  progress(0, 0);
  let clock = null;
  const uploaded = () => {
    let step = 1;
    progress(step, null);
    clock = setInterval(() => { if (step < STEPS.length - 1) progress(++step, null); }, STEP_MS);
  };
  try {
    const body = await upload("/api/photo", form, (share) => progress(0, share), uploaded);
    photo = { id: body.id, candidates: body.candidates };
    chosen = 0;
    const tags = $("tags");
    tags.innerHTML = "";
    for (const t of body.tags) {
      const title = (t.name_en || "") + " " + Math.round(t.confidence * 100) + "%";
      tags.appendChild(el("li", { textContent: t.name, title }));
    }
    showCandidates();
    $("photo-result").hidden = false;
    $("picker").classList.add("compact");
    $("picker-text").textContent = "换一张照片";
    $("render-photo").disabled = false;
    $("render-photo").title = "";
    showPhotoResult(body.image_url);
    say($("photo-status"), "选一副，或改几个字，再点「生成图片」。");
  } catch (err) {
    say($("photo-status"), err.message, true);
    $("examples").hidden = photo !== null;
  } finally {
    clearInterval(clock);
    $("photo-progress").hidden = true;
    busy(false);
  }
});

// What the photo form holds: the chosen candidate, or the user's edit of it.
const photoEdit = () => ({
  upper: $("edit-upper").value, lower: $("edit-lower").value, banner: $("edit-horizontal").value,
});

function showPhotoResult(url) {
  const drawn = photoEdit();
  showImage("", url, drawn);
  remember({ url, kind: "photo", ...drawn });
}

function fillEdit(c) {
  $("edit-upper").value = c.upper;
  $("edit-lower").value = c.lower;
  $("edit-horizontal").value = c.horizontal;
}

function showCandidates() {
  const list = $("candidates");
  list.innerHTML = "";
  photo.candidates.forEach((c, i) => {
    const radio = el("input", { type: "radio", name: "candidate", value: String(i + 1) });
    radio.checked = i === chosen;
    radio.addEventListener("change", () => { chosen = i; fillEdit(c); renderOnPhoto(); });
    const text = el("span", { className: "pair" },
      el("div", { textContent: "上联：" + c.upper }),
      el("div", { textContent: "下联：" + c.lower }),
      el("div", { className: "h", textContent: "横批：" + c.horizontal }));
    list.appendChild(el("li", {}, el("label", {}, radio, text)));
  });
  fillEdit(photo.candidates[chosen]);
}

async function renderOnPhoto() {
  if (!photo) return;
  const c = photo.candidates[chosen];
  const { upper, lower, banner } = photoEdit();
  const edited = upper !== c.upper || lower !== c.lower || banner !== c.horizontal;
  busy(true);
  say($("photo-status"), "正在写对联……");
  try {
    const request = edited ? { upper, lower, horizontal: banner } : { candidate: chosen + 1 };
    const body = await postJson("/api/photo/" + photo.id + "/render", request);
    showPhotoResult(body.image_url);
    $("figure").scrollIntoView({ block: "nearest" });
    say($("photo-status"), "写好了。");
  } catch (err) {
    say($("photo-status"), err.message, true);
  } finally {
    busy(false);
  }
}
$("render").addEventListener("click", renderOnPhoto);

$("regenerate").addEventListener("click", async () => {
  if (!photo) return;
  busy(true);
  say($("photo-status"), "换一批下联……");
  try {
    const body = await call("/api/photo/" + photo.id + "/regenerate", { method: "POST" });
    photo.candidates = body.candidates;
    showCandidates();
    await renderOnPhoto();
  } catch (err) {
    say($("photo-status"), err.message, true);
  } finally {
    busy(false);
  }
});

$("to-editor").addEventListener("click", () => editInSpringMode(photoEdit()));

// ---------------------------------------------------------------------------------------------- 春联 mode

const checkedValue = (name) => (document.querySelector("input[name=" + name + "]:checked") || {}).value;

// The year of the coming Spring Festival (late January to mid February): its zodiac animal is a theme word.
function springFestivalYear() {
  const now = new Date();
  return now.getMonth() >= 2 ? now.getFullYear() + 1 : now.getFullYear();
}

// What to ask for: a name hidden at the heads of the lines (藏头), else a couplet from the theme and the
// keywords. Returns [url, body] or throws a message for the user.
function springRequest() {
  const theme = checkedValue("theme");
  const length = Number(checkedValue("length"));
  const head = $("head").value.trim();
  const keywords = $("keywords").value.split(/[\s,，、]+/).filter(Boolean).slice(0, 4);
  if (head) {
    if (!/^[\u3400-\u9fff]{2}$/.test(head)) throw new ApiError("藏头要两个汉字，比如名字里的两个字。", 400);
    return ["/api/couplet/acrostic", { chars: head, length, theme, n: 3 }];
  }
  const year = theme === "春节" ? springFestivalYear() : null;
  return ["/api/couplet/write", { keywords, theme, year, length, n: 3 }];
}

$("spring-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("spring-status");
  const list = $("spring-candidates");
  $("write").disabled = true;  // also stops a second submit by the Enter key
  say(status, "正在写春联……");
  list.innerHTML = "";
  try {
    const [url, request] = springRequest();
    const body = await postJson(url, request);
    if (!body.couplets.length) throw new ApiError("这次没有写出来，换个主题或关键词试试。", 0);
    for (const c of body.couplets) {
      const pick = el("button", { type: "button", className: "small", textContent: "就这副" });
      pick.addEventListener("click", () => { openEditor(c); $("editor").scrollIntoView(); });
      list.appendChild(el("li", {},
        el("div", { className: "text" },
          el("div", { textContent: c.upper }), el("div", { textContent: c.lower }),
          el("div", { className: "banner", textContent: "横批：" + c.banner })),
        pick));
    }
    say(status, "挑一副，点「就这副」再改字或写成图片。");
  } catch (err) {
    const message = err.status === 404 ? "写春联的服务暂时不可用（HTTP 404）。可以先在「对下联」里写一副，再拿来改。" : err.message;
    say(status, message, true);
  } finally {
    $("write").disabled = false;
  }
});

// The editor works on `draft`; tiles show its lines, a tap on a lower-line tile locks or frees it.
function openEditor(c) {
  draft = { upper: c.upper, lower: c.lower, banner: c.banner || "", locks: [...c.lower].map(() => false) };
  banners = c.banner ? [c.banner] : [];
  $("editor").hidden = false;
  $("refill-choices").innerHTML = "";
  say($("editor-status"), "");
  showDraft();
  if (!draft.banner) newBanner();
}

// From another mode (a photo, the 对下联 tab, the history) into the 春联 editor.
function editInSpringMode(c) {
  openEditor(c);
  showTab("spring");
  history.replaceState(null, "", "#spring");
  $("editor").scrollIntoView();
}

function showDraft() {
  const upperTiles = $("upper-tiles");
  const lowerTiles = $("lower-tiles");
  upperTiles.replaceChildren(el("span", { className: "who", textContent: "上联（贴右边）" }));
  lowerTiles.replaceChildren(el("span", { className: "who", textContent: "下联（贴左边）：点字锁住" }));
  const longest = String(Math.max([...draft.upper].length, [...draft.lower].length));
  upperTiles.style.setProperty("--n", longest);
  lowerTiles.style.setProperty("--n", longest);
  for (const ch of draft.upper) {
    const className = "tile fixed" + (PUNCT.test(ch) ? " punct" : "");
    upperTiles.appendChild(el("span", { className, textContent: ch }));
  }
  [...draft.lower].forEach((ch, i) => {
    if (PUNCT.test(ch)) {
      lowerTiles.appendChild(el("span", { className: "tile punct", textContent: ch }));
      return;
    }
    const tile = el("button", { type: "button", className: "tile", textContent: ch });
    tile.setAttribute("aria-pressed", String(draft.locks[i]));
    tile.setAttribute("aria-label", ch + (draft.locks[i] ? "（已锁）" : ""));
    tile.addEventListener("click", () => { draft.locks[i] = !draft.locks[i]; showDraft(); });
    lowerTiles.appendChild(tile);
  });
  $("banner").value = draft.banner;
  $("own-upper").value = draft.upper;
  $("own-lower").value = draft.lower;
}

// Typing a line by hand replaces it, and the locks no longer know which character they held.
$("own-upper").addEventListener("change", () => { draft.upper = $("own-upper").value.trim(); showDraft(); });
$("own-lower").addEventListener("change", () => {
  draft.lower = $("own-lower").value.trim();
  draft.locks = [...draft.lower].map(() => false);
  showDraft();
});
$("banner").addEventListener("input", () => { draft.banner = $("banner").value.trim(); });

function editorBusy(on) {
  for (const id of ["refill", "render-red", "new-banner"]) $(id).disabled = on;
  $("render-photo").disabled = on || photo === null;
}

async function newBanner() {
  if (!draft) return;
  const at = banners.indexOf(draft.banner);
  if (at >= 0 && at + 1 < banners.length) {  // the next of those offered before
    draft.banner = banners[at + 1];
    showDraft();
    return;
  }
  const asked = draft;
  const shown = draft.banner;
  editorBusy(true);
  try {
    const body = await postJson("/api/couplet/banner", { upper: draft.upper, lower: draft.lower });
    // Meanwhile the user may have typed a 横批 or opened another couplet: what they did stays.
    if (draft !== asked || draft.banner !== shown) return;
    banners = body.banners.filter((b) => b !== shown);
    if (banners.length) draft.banner = banners[0];
    showDraft();
  } catch (err) {
    const message = err.status === 404 ? "暂时不能自动写横批，请自己写四个字。" : err.message;
    say($("editor-status"), message, true);
  } finally {
    editorBusy(false);
  }
}
$("new-banner").addEventListener("click", newBanner);

$("refill").addEventListener("click", async () => {
  if (!draft) return;
  const chars = [...draft.lower];
  const pattern = chars.map((ch, i) => (PUNCT.test(ch) || draft.locks[i] ? ch : "?")).join("");
  if (!pattern.includes("?")) {
    say($("editor-status"), "每个字都锁住了：先点一个字放开它。", true);
    return;
  }
  editorBusy(true);
  say($("editor-status"), "正在重写没锁的字……");
  const choices = $("refill-choices");
  choices.innerHTML = "";
  try {
    // One more than shown: the line in the editor is often among them, and is not offered again.
    const body = await postJson("/api/couplet/refill", { upper: draft.upper, pattern, n: 4 });
    const offered = body.candidates.filter((c) => c.lower !== draft.lower).slice(0, 3);
    for (const c of offered) {
      const choice = el("button", { type: "button", className: "secondary", textContent: c.lower });
      choice.addEventListener("click", () => {
        draft.lower = c.lower;
        choices.innerHTML = "";
        showDraft();
      });
      choices.appendChild(el("li", {}, choice));
    }
    if (offered.length) say($("editor-status"), "点一句换上；锁住的字不会变。");
    else say($("editor-status"), "没有找到别的写法，放开一两个字再试。", true);
  } catch (err) {
    say($("editor-status"), err.message, true);
  } finally {
    editorBusy(false);
  }
});

async function renderDraft(onPhoto) {
  if (!draft) return;
  draft.banner = $("banner").value.trim();
  editorBusy(true);
  say($("editor-status"), "正在写成图片……");
  try {
    const drawn = { upper: draft.upper, lower: draft.lower, banner: draft.banner };
    const onPhotoBody = { upper: drawn.upper, lower: drawn.lower, horizontal: drawn.banner };
    const body = onPhoto
      ? await postJson("/api/photo/" + photo.id + "/render", onPhotoBody)
      : await postJson("/api/couplet/render", drawn);
    showImage("spring", body.image_url, drawn);
    remember({ url: body.image_url, kind: onPhoto ? "photo" : "red", ...drawn });
    say($("editor-status"), "写好了。");
    $("spring-figure").scrollIntoView({ block: "nearest" });
  } catch (err) {
    say($("editor-status"), err.message, true);
  } finally {
    editorBusy(false);
  }
}
$("render-red").addEventListener("click", () => renderDraft(false));
$("render-photo").addEventListener("click", () => renderDraft(true));

// ---------------------------------------------------------------------------------------------- 对下联

$("text-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("text-status");
  const list = $("text-candidates");
  say(status, "思考中……");
  list.innerHTML = "";
  try {
    const body = await postJson("/api/couplet", { upper: $("upper").value, n: 3 });
    say(status, "上联：" + body.upper);
    for (const c of body.candidates) {
      const failed = Object.entries(c.rules).filter(([, r]) => !r.passed).map(([name]) => name);
      const rules = failed.length ? " · 未满足: " + failed.join(", ") : " · 全部规则满足";
      const meta = el("div", { className: "meta", textContent: "score " + c.score.toFixed(3) + rules });
      const use = el("button", { type: "button", className: "secondary small", textContent: "写成春联" });
      use.addEventListener("click", () => editInSpringMode({ upper: body.upper, lower: c.lower }));
      list.appendChild(el("li", {}, c.lower, meta, use));
    }
  } catch (err) {
    say(status, err.message, true);
  }
});
