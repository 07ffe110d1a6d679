// Wilayah demo page: building chat bubbles (text, media, inline buttons) from the server's JSON.
"use strict";

// labels and places come from the page; onPress(messageId, callbackData, button) handles taps
window.WilayahBubbles = (L, places, onPress) => {
  const timeFormat = new Intl.DateTimeFormat("id-ID", { hour: "2-digit", minute: "2-digit" });
  const dayFormat = new Intl.DateTimeFormat("id-ID", { day: "numeric", month: "long", year: "numeric" });

  // fixed markup of our own (no data in it), so it does not depend on an emoji font
  const ICONS = {
    pin: '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 22s7-6.2 7-12a7 7 0 0 0-14 0c0 5.8 7 12 7 12z"/><circle cx="12" cy="10" r="2.6"/></svg>',
    person: '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/></svg>',
  };
  function icon(name, className) {
    const span = el("span", className);
    span.innerHTML = ICONS[name];
    return span;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const dayKey = (date) => new Date(date * 1000).toDateString();
  function dayLabel(date) {
    const day = new Date(date * 1000);
    const today = new Date();
    const yesterday = new Date(Date.now() - 86400000);
    if (day.toDateString() === today.toDateString()) return L.today;
    if (day.toDateString() === yesterday.toDateString()) return L.yesterday;
    return dayFormat.format(day);
  }

  function formatSize(bytes) {
    if (!bytes && bytes !== 0) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function placeName(location) {
    const near = places.find((place) => Math.abs(place.latitude - location.latitude) < 0.0005
      && Math.abs(place.longitude - location.longitude) < 0.0005);
    return near ? near.name : L.location;
  }

  function buildMedia(m, bubble) {
    if (m.photo) {
      const img = el("img", "photo");
      img.src = m.photo.url;
      img.alt = "";
      if (m.photo.width && m.photo.height) img.style.aspectRatio = `${m.photo.width} / ${m.photo.height}`;
      bubble.append(img);
    }
    if (m.document) {
      const link = el("a", "file");
      link.href = m.document.url;
      link.target = "_blank";
      link.download = m.document.name;
      const ext = (m.document.name.split(".").pop() || "").slice(0, 4).toUpperCase();
      const info = el("span");
      info.append(el("span", "file-name", m.document.name),
        el("span", "file-size", formatSize(m.document.size)));
      link.append(el("span", "file-icon", ext || "FILE"), info);
      bubble.append(link);
    }
    if (m.location) {
      const map = el("div", "map");
      map.append(icon("pin", "pin"));
      const caption = el("div", "map-caption");
      const { latitude, longitude } = m.location;
      caption.append(el("b", null, placeName(m.location)),
        `${latitude.toFixed(5)}, ${longitude.toFixed(5)}`);
      bubble.append(map, caption);
    }
    if (m.contact) {
      const card = el("div", "contact");
      const info = el("span");
      info.append(el("b", null, m.contact.name || L.contact), el("br"), m.contact.phone || "");
      card.append(icon("person", `avatar c${m.chat_id % 7}`), info);
      bubble.append(card);
    }
    if (m.sticker) bubble.append(el("div", "sticker", m.sticker));
  }

  // Telegram makes every /command in a message tappable, also in the bot's own messages
  const COMMAND_RE = /(^|[\s(])(\/[A-Za-z0-9_]{1,32})(?![\w/@])/g;
  function linkCommands(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const found = [];
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.data.includes("/") && !node.parentElement.closest("a, code, pre, .tg-bot-command")) {
        found.push(node);
      }
    }
    for (const node of found) {
      const parts = document.createDocumentFragment();
      let last = 0;
      for (const match of node.data.matchAll(COMMAND_RE)) {
        const start = match.index + match[1].length;
        parts.append(node.data.slice(last, start), el("span", "tg-bot-command", match[2]));
        last = start + match[2].length;
      }
      if (last === 0) continue;
      parts.append(node.data.slice(last));
      node.replaceWith(parts);
    }
  }

  function buildRow(m) {
    const row = el("div", `row ${m.from_bot ? "in" : "out"}`);
    row.dataset.id = m.id;
    const bubble = el("div", "bubble");
    buildMedia(m, bubble);
    const meta = el("span", "meta", (m.edited ? `${L.edited} ` : "") + timeFormat.format(new Date(m.date * 1000)));
    if (m.html) {
      const text = el("div", "text");
      text.innerHTML = m.html;  // rendered by the simulator's safe_html: whitelisted tags only
      linkCommands(text);
      text.append(meta);
      bubble.append(text);
    } else {
      bubble.append(meta);
    }
    row.append(bubble);
    if (m.buttons && m.buttons.length) row.append(buildInlineKeyboard(m));
    return row;
  }

  function buildInlineKeyboard(m) {
    const keyboard = el("div", "inline-keyboard");
    for (const buttons of m.buttons) {
      const row = el("div", "inline-row");
      for (const b of buttons) {
        if (b.url) {
          const link = el("a", null, b.text);
          link.href = b.url;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          row.append(link);
          continue;
        }
        const button = el("button", null, b.text);
        button.type = "button";
        button.disabled = !b.data;
        button.addEventListener("click", () => onPress(m.id, b.data, button));
        row.append(button);
      }
      keyboard.append(row);
    }
    return keyboard;
  }

  return { el, icon, dayKey, dayLabel, formatSize, buildRow };
};
