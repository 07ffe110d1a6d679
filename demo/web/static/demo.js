// Wilayah demo page: chat with the bot as one of the demo personas (no framework, no build).
"use strict";

(() => {
  const DATA = JSON.parse(document.getElementById("demo-data").textContent);
  const L = DATA.labels;
  const $ = (id) => document.getElementById(id);
  const { el, icon, dayKey, dayLabel, formatSize, buildRow, buildAlbumRow, groupAlbums } =
    window.WilayahBubbles(
    L, DATA.places, (messageId, data, button) => pressButton(messageId, data, button));

  const state = {
    personas: DATA.personas,
    current: null,
    messages: new Map(),   // message id -> view, for the current chat
    unread: new Map(),     // persona id -> count of bot messages not seen
    replyKeyboard: null,
    keyboardHidden: false,
    disconnected: false,
    typingUntil: 0,
    busy: "",
    upload: null,          // {mode, blob, name}
    loading: null,         // {id, arrived}: a chat's history is being fetched
    atBottom: true,        // the chat is scrolled to its newest message
  };

  // --- talking to the demo server ----------------------------------------------------------
  async function api(path, options = {}) {
    const response = await fetch(path, options);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(body.error || String(response.status)), { body });
    return body;
  }
  const post = (path, body) => api(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });
  const chatPath = (action) => `/api/chats/${state.current}/${action}`;

  async function act(action, body) {
    try {
      const sent = body instanceof FormData
        ? await api(chatPath(action), { method: "POST", body })
        : await post(chatPath(action), body);
      if (sent && sent.id) upsertMessage(sent);
      return sent;
    } catch (error) {
      toast(action === "press" ? L.buttonGone : L.sendFailed);
      throw error;
    }
  }
  const sendText = (text) => act("text", { text }).catch(() => {});
  const sendContact = () => act("contact").catch(() => {});

  // --- personas ----------------------------------------------------------------------------
  const persona = (id) => state.personas.find((p) => p.user_id === id);
  const initials = (p) => [p.first_name, p.last_name].filter(Boolean)
    .map((word) => word.trim()[0] || "").join("").slice(0, 2).toUpperCase();

  function renderPersonas() {
    const list = $("persona-list");
    list.replaceChildren();
    let group = null;
    for (const p of state.personas) {
      if (p.group !== group) {
        group = p.group;
        list.append(el("div", "persona-group", group));
      }
      const button = el("button", "persona");
      button.type = "button";
      button.dataset.userId = p.user_id;
      button.classList.toggle("current", p.user_id === state.current);
      const text = el("span", "persona-text");
      const sub = el("span", "persona-sub");
      if (p.official) {
        sub.append(p.official.name);
        if (!p.seeded_official) sub.append(` · ${p.official.role_label}`);
        const status = L.status[p.official.status];
        if (status) sub.append(" · ", el("span", "pending", status));
      } else {
        sub.append(L.notRegistered);
      }
      text.append(el("span", "persona-label", p.label), sub);
      button.append(el("span", `avatar c${p.user_id % 7}`, initials(p)), text);
      const unread = state.unread.get(p.user_id);
      if (unread) {
        const badge = el("span", "unread", String(unread));
        badge.title = `${unread} ${L.unreadTitle}`;
        button.append(badge);
      }
      button.addEventListener("click", () => selectPersona(p.user_id));
      list.append(button);
    }
  }

  let personaRefresh = 0;
  function refreshPersonasSoon() {
    clearTimeout(personaRefresh);
    personaRefresh = setTimeout(async () => {
      try {
        state.personas = await api("/api/personas");
        renderPersonas();
        showActingAs();
      } catch (error) { /* the next event retries */ }
    }, 500);
  }

  function showActingAs() {
    const p = persona(state.current);
    $("acting-name").textContent = p ? p.label : "";
  }

  function selectPersona(id) {
    if (!persona(id)) id = state.personas[0].user_id;
    state.current = id;
    state.unread.delete(id);
    localStorage.setItem("wilayah-demo-persona", String(id));
    history.replaceState(null, "", `#${id}`);
    renderPersonas();
    showActingAs();
    closeSidebar();
    closePopups();
    hideToast();  // a popup answer belongs to the chat it was given in
    loadChat();
  }

  async function addPersona() {
    const added = await post("/api/personas");
    state.personas.push(added);
    selectPersona(added.user_id);
  }

  // --- the chat ----------------------------------------------------------------------------
  async function loadChat() {
    const id = state.current;
    const loading = { id, arrived: [] };
    state.loading = loading;
    const view = await api(`/api/chats/${id}/messages`);
    if (id !== state.current || state.loading !== loading) return;
    state.loading = null;
    const loaded = new Map(view.messages.map((m) => [m.id, m]));
    // keep what the event stream delivered while the history was on its way
    for (const m of loading.arrived) {
      if (!loaded.has(m.id)) loaded.set(m.id, m);
    }
    state.messages = loaded;
    renderMessages();
    setReplyKeyboard(view.reply_keyboard);
    scrollToBottom();
  }

  function renderMessages() {
    const box = $("messages");
    box.replaceChildren();
    const messages = [...state.messages.values()].sort((a, b) => a.id - b.id);
    if (!messages.length) {
      const card = el("div", "empty-card");
      const inner = el("div");
      inner.append(el("h3", null, L.emptyTitle), el("p", null, L.emptyText));
      card.append(inner);
      box.append(card);
    }
    let lastDay = null;
    for (const group of groupAlbums(messages)) {
      const m = group[0];
      if (dayKey(m.date) !== lastDay) {
        lastDay = dayKey(m.date);
        const separator = el("div", "day");
        separator.append(el("span", null, dayLabel(m.date)));
        box.append(separator);
      }
      box.append(m.album ? buildAlbumRow(group) : buildRow(m));
    }
    $("start-panel").hidden = messages.length > 0;
    $("composer").hidden = messages.length === 0;
  }

  function upsertMessage(m) {
    if (m.chat_id !== state.current) return;  // an answer that arrived after a persona switch
    if (state.loading && state.loading.id === m.chat_id) state.loading.arrived.push(m);
    const known = state.messages.has(m.id);
    const newest = Math.max(0, ...state.messages.keys());
    state.messages.set(m.id, m);
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    if (m.album) {  // a media group is drawn as one bubble, whichever part arrives
      renderMessages();
      if (nearBottom || !m.from_bot) scrollToBottom();
      return;
    }
    if (known) {
      const old = box.querySelector(`.row[data-id="${m.id}"]`);
      const row = buildRow(m);
      if (old) old.replaceWith(row); else renderMessages();
      if (m.edited) row.querySelector(".bubble").classList.add("flash");
      if (nearBottom) scrollToBottom();  // an edit that grows the last message stays in view
      return;
    }
    if (m.id > newest && state.messages.size > 1
        && dayKey(m.date) === dayKey(state.messages.get(newest).date)) {
      box.append(buildRow(m));
    } else {
      renderMessages();
    }
    if (nearBottom || !m.from_bot) scrollToBottom();
  }

  function removeMessage(id) {
    if (state.messages.delete(id)) renderMessages();
  }

  const scrollToBottom = () => {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
    state.atBottom = true;
  };

  async function pressButton(messageId, data, button) {
    button.classList.add("pending");
    setTimeout(() => button.classList.remove("pending"), 8000);
    try {
      await act("press", { message_id: messageId, data });
    } catch (error) {
      button.classList.remove("pending");
      loadChat();
    }
  }

  // --- reply keyboard, status, toasts ------------------------------------------------------
  function setReplyKeyboard(keyboard) {
    const changed = JSON.stringify(keyboard) !== JSON.stringify(state.replyKeyboard);
    state.replyKeyboard = keyboard;
    if (changed) state.keyboardHidden = false;
    renderReplyKeyboard();
  }

  function renderReplyKeyboard() {
    const box = $("reply-keyboard");
    const keyboard = state.replyKeyboard;
    box.replaceChildren();
    $("keyboard-toggle").hidden = !keyboard;
    $("keyboard-toggle").classList.toggle("on", !!keyboard && !state.keyboardHidden);
    $("message-input").placeholder = (keyboard && keyboard.placeholder) || L.placeholder;
    box.hidden = !keyboard || state.keyboardHidden || !$("start-panel").hidden;
    if (!keyboard) return;
    for (const buttons of keyboard.rows) {
      const row = el("div", "reply-row");
      for (const b of buttons) {
        const button = el("button", b.request_contact || b.request_location ? "request" : null,
          b.text);
        button.type = "button";
        button.addEventListener("click", () => {
          if (b.request_contact) sendContact();
          else if (b.request_location) openLocation();
          else sendText(b.text);
        });
        row.append(button);
      }
      box.append(row);
    }
  }

  function showStatus() {
    const status = $("chat-status");
    const typing = Date.now() < state.typingUntil;
    const text = state.disconnected ? L.reconnecting : state.busy || (typing ? L.typing : L.bot);
    status.textContent = text;
    status.classList.toggle("active", text !== L.bot);
  }

  function showTyping() {
    state.typingUntil = Date.now() + 5000;
    showStatus();
    setTimeout(showStatus, 5100);
  }

  let toastTimer = 0;
  function hideToast() {
    clearTimeout(toastTimer);
    $("toast").hidden = true;
  }

  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 3500);
  }

  function showAlert(text) {
    $("alert-text").textContent = text;
    if (!$("alert-dialog").open) $("alert-dialog").showModal();
  }

  // --- live events -------------------------------------------------------------------------
  function handleEvent(event) {
    const mine = event.chat_id === state.current;
    if (event.type === "message") {
      const m = event.message;
      if (mine) {
        upsertMessage(m);
        setReplyKeyboard(event.reply_keyboard);
        if (m.from_bot) { state.typingUntil = 0; showStatus(); }
      } else if (m.from_bot && persona(event.chat_id)) {
        state.unread.set(event.chat_id, (state.unread.get(event.chat_id) || 0) + 1);
        renderPersonas();
      }
      if (m.from_bot) refreshPersonasSoon();
    } else if (event.type === "edit" && mine) {
      upsertMessage(event.message);
    } else if (event.type === "delete" && mine) {
      removeMessage(event.message.id);
    } else if (event.type === "callback_answer" && mine) {
      document.querySelectorAll(".inline-row .pending").forEach((b) => b.classList.remove("pending"));
      if (event.answer.text) {
        if (event.answer.alert) showAlert(event.answer.text); else toast(event.answer.text);
      }
    } else if (event.type === "chat_action" && mine && event.action === "typing") {
      showTyping();
    }
  }

  function connectEvents() {
    const source = new EventSource("/api/events");
    source.onopen = () => {
      if (!state.disconnected) return;
      state.disconnected = false;
      showStatus();
      loadChat();
      refreshPersonasSoon();
    };
    source.onerror = () => {
      state.disconnected = true;
      showStatus();
    };
    source.onmessage = (message) => handleEvent(JSON.parse(message.data));
  }

  // --- popups: command menu, attachments ----------------------------------------------------
  function closePopups() {
    $("attach-menu").hidden = true;
    $("command-menu").hidden = true;
  }

  async function openCommandMenu() {
    const menu = $("command-menu");
    if (!menu.hidden) { menu.hidden = true; return; }
    closePopups();
    const commands = await api(chatPath("commands"));
    menu.replaceChildren();
    if (!commands.length) menu.append(el("div", "empty", L.noCommands));
    for (const command of commands) {
      const item = el("button");
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.append(el("b", null, `/${command.command}`), el("span", "cmd-desc", command.description));
      item.addEventListener("click", () => { closePopups(); sendText(`/${command.command}`); });
      menu.append(item);
    }
    menu.hidden = false;
  }

  function openAttachMenu() {
    const menu = $("attach-menu");
    const wasHidden = menu.hidden;
    closePopups();
    menu.hidden = !wasHidden;
  }

  function onAttach(kind) {
    closePopups();
    if (kind === "contact") sendContact();
    else if (kind === "location") openLocation();
    else openUpload(kind);
  }

  // --- location dialog ---------------------------------------------------------------------
  function openLocation() {
    const list = $("place-list");
    list.replaceChildren();
    for (const place of DATA.places) {
      const button = el("button");
      button.append(icon("pin", "place-icon"), place.name);
      button.type = "button";
      button.addEventListener("click", () => {
        $("latitude").value = place.latitude;
        $("longitude").value = place.longitude;
        list.querySelectorAll("button").forEach((b) => b.classList.toggle("chosen", b === button));
      });
      list.append(button);
    }
    $("location-dialog").showModal();
  }

  async function submitLocation(event) {
    event.preventDefault();
    const latitude = parseFloat($("latitude").value);
    const longitude = parseFloat($("longitude").value);
    if (Number.isNaN(latitude) || Number.isNaN(longitude)) return;
    $("location-dialog").close();
    await act("location", { latitude, longitude }).catch(() => {});
  }

  // --- photo and document upload -----------------------------------------------------------
  function openUpload(mode) {
    state.upload = { mode, blob: null, name: null };
    $("upload-title").textContent = mode === "photo" ? L.sendPhoto : L.sendDocument;
    $("upload-file").accept = mode === "photo" ? "image/*" : "";
    $("upload-file").value = "";
    $("upload-caption").value = "";
    $("upload-preview").replaceChildren(el("span", null, L.noFile));
    $("upload-send").disabled = true;
    $("upload-dialog").showModal();
  }

  function chooseUpload(blob, name) {
    state.upload.blob = blob;
    state.upload.name = name;
    const preview = $("upload-preview");
    if (blob.type.startsWith("image/")) {
      const img = el("img");
      img.src = URL.createObjectURL(blob);
      img.alt = "";
      preview.replaceChildren(img);
    } else {
      preview.replaceChildren(el("span", null, `${name} (${formatSize(blob.size)})`));
    }
    $("upload-send").disabled = false;
  }

  function samplePhoto() {
    const canvas = document.createElement("canvas");
    canvas.width = 800;
    canvas.height = 600;
    const g = canvas.getContext("2d");
    const sky = g.createLinearGradient(0, 0, 0, 600);
    sky.addColorStop(0, "#8ec5f0");
    sky.addColorStop(1, "#d9eefc");
    g.fillStyle = sky;
    g.fillRect(0, 0, 800, 600);
    g.fillStyle = "#6aa84f";
    g.fillRect(0, 400, 800, 200);
    g.fillStyle = "#b45f06";
    g.fillRect(300, 260, 200, 140);
    g.fillStyle = "#990000";
    g.beginPath(); g.moveTo(280, 262); g.lineTo(400, 180); g.lineTo(520, 262); g.fill();
    g.fillStyle = "#ffffff";
    g.font = "bold 44px sans-serif";
    g.fillText(L.sampleCaption, 28, 560);
    g.font = "bold 30px sans-serif";
    g.fillText(new Date().toLocaleString("id-ID"), 28, 60);
    canvas.toBlob((blob) => chooseUpload(blob, "foto-contoh.jpg"), "image/jpeg", 0.85);
  }

  function sampleUpload() {
    if (state.upload.mode === "photo") samplePhoto();
    else chooseUpload(new Blob([`${L.sampleDocument}\n`], { type: "text/plain" }), "contoh.txt");
  }

  async function submitUpload(event) {
    event.preventDefault();
    const { mode, blob, name } = state.upload;
    if (!blob) return;
    const form = new FormData();
    form.append(mode, blob, name);
    form.append("caption", $("upload-caption").value);
    $("upload-dialog").close();
    state.busy = L.uploading;
    showStatus();
    await act(mode, form).catch(() => {});
    state.busy = "";
    showStatus();
  }

  // --- sidebar on phones ---------------------------------------------------------------------
  function openSidebar() {
    $("app").classList.add("sidebar-open");
    $("scrim").hidden = false;
  }
  function closeSidebar() {
    $("app").classList.remove("sidebar-open");
    $("scrim").hidden = true;
  }

  // --- wiring ------------------------------------------------------------------------------
  function submitComposer(event) {
    event.preventDefault();
    const input = $("message-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "";
    sendText(text);
  }

  function wire() {
    $("composer").addEventListener("submit", submitComposer);
    $("message-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submitComposer(event);
    });
    $("message-input").addEventListener("input", (event) => {
      const input = event.target;
      input.style.height = "";
      input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
    });
    $("start-button").addEventListener("click", () => sendText("/start"));
    $("menu-button").addEventListener("click", openCommandMenu);
    $("attach-button").addEventListener("click", openAttachMenu);
    document.querySelectorAll("[data-attach]").forEach((item) =>
      item.addEventListener("click", () => onAttach(item.dataset.attach)));
    $("keyboard-toggle").addEventListener("click", () => {
      state.keyboardHidden = !state.keyboardHidden;
      renderReplyKeyboard();
    });
    $("add-persona").addEventListener("click", () => addPersona().catch(() => toast(L.sendFailed)));
    $("open-sidebar").addEventListener("click", openSidebar);
    $("acting-name").addEventListener("click", openSidebar);
    $("close-sidebar").addEventListener("click", closeSidebar);
    $("scrim").addEventListener("click", closeSidebar);
    $("location-form").addEventListener("submit", submitLocation);
    $("upload-form").addEventListener("submit", submitUpload);
    $("upload-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (file) chooseUpload(file, file.name);
    });
    $("upload-sample").addEventListener("click", sampleUpload);
    document.querySelectorAll("[data-close]").forEach((button) =>
      button.addEventListener("click", () => button.closest("dialog").close()));
    $("messages").addEventListener("scroll", () => {
      const box = $("messages");
      state.atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    });
    // a picture that loads after the chat was scrolled down must not hide the newest message
    $("messages").addEventListener("load", (event) => {
      if (event.target.tagName === "IMG" && state.atBottom) scrollToBottom();
    }, true);
    $("messages").addEventListener("click", (event) => {
      const command = event.target.closest(".tg-bot-command");
      if (command) sendText(command.textContent);
      const spoiler = event.target.closest(".tg-spoiler");
      if (spoiler) spoiler.classList.add("shown");
      // Telegram opens a photo full size; here it opens in a new tab
      if (event.target.matches("img.photo")) window.open(event.target.src, "_blank", "noopener");
    });
    document.addEventListener("click", (event) => {
      if (!event.target.closest(".popup, #menu-button, #attach-button")) closePopups();
    });
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") closePopups(); });
  }

  wire();
  connectEvents();
  const fromHash = parseInt(location.hash.slice(1), 10);
  const remembered = parseInt(localStorage.getItem("wilayah-demo-persona") || "", 10);
  selectPersona(persona(fromHash) ? fromHash : remembered);
})();
