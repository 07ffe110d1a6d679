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

  // a photo's box is sized before it loads, so the chat does not jump when it arrives; a tall
  // one is made narrower rather than cropped (in an album the grid decides)
  const PHOTO_WIDTH = 320;
  const PHOTO_MAX_HEIGHT = 420;
  const PHOTO_MIN_WIDTH = 200;
  function buildPhoto(photo, inAlbum = false) {
    const img = el("img", "photo");
    img.src = photo.url;
    img.alt = "";
    img.decoding = "async";
    if (photo.width && photo.height) {
      img.style.aspectRatio = `${photo.width} / ${photo.height}`;
      const fitted = Math.round(PHOTO_MAX_HEIGHT * photo.width / photo.height);
      if (!inAlbum && fitted < PHOTO_WIDTH) {
        img.style.width = `${Math.max(fitted, PHOTO_MIN_WIDTH)}px`;
      }
    }
    return img;
  }

  function buildFile(document) {
    const link = el("a", "file");
    link.href = document.url;
    link.target = "_blank";
    link.download = document.name;
    const ext = (document.name.split(".").pop() || "").slice(0, 4).toUpperCase();
    const info = el("span");
    info.append(el("span", "file-name", document.name),
      el("span", "file-size", formatSize(document.size)));
    link.append(el("span", "file-icon", ext || "FILE"), info);
    return link;
  }

  function buildMedia(m, bubble) {
    if (m.photo) bubble.append(buildPhoto(m.photo));
    if (m.document) bubble.append(buildFile(m.document));
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

  function appendText(bubble, m) {
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
  }

  function buildRow(m) {
    const row = el("div", `row ${m.from_bot ? "in" : "out"}`);
    row.dataset.id = m.id;
    const bubble = el("div", m.photo ? "bubble with-photo" : "bubble");
    buildMedia(m, bubble);
    appendText(bubble, m);
    row.append(bubble);
    if (m.buttons && m.buttons.length) row.append(buildInlineKeyboard(m));
    return row;
  }

  // messages sent together with sendMediaGroup: one bubble, photos in a grid, files in a list,
  // and the caption (Telegram keeps it on one of them) under it
  function buildAlbumRow(items) {
    const first = items[0];
    const row = el("div", `row ${first.from_bot ? "in" : "out"}`);
    row.dataset.id = first.id;
    row.dataset.album = first.album;
    const photos = items.filter((m) => m.photo);
    const bubble = el("div", photos.length ? "bubble with-photo" : "bubble");
    if (photos.length) {
      const grid = el("div", `album${photos.length % 2 ? " odd" : ""}`);
      grid.dataset.count = photos.length;
      for (const m of photos) grid.append(buildPhoto(m.photo, true));
      bubble.append(grid);
    }
    for (const m of items) if (m.document) bubble.append(buildFile(m.document));
    const captioned = items.find((m) => m.html) || items[items.length - 1];
    appendText(bubble, captioned);
    row.append(bubble);
    return row;
  }

  // consecutive messages of one media group become one entry: [message] or [album items]
  function groupAlbums(messages) {
    const groups = [];
    for (const m of messages) {
      const last = groups[groups.length - 1];
      if (m.album && last && last[0].album === m.album && last[0].from_bot === m.from_bot) {
        last.push(m);
      } else {
        groups.push([m]);
      }
    }
    return groups;
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

  return { el, icon, dayKey, dayLabel, formatSize, buildRow, buildAlbumRow, groupAlbums };
};
