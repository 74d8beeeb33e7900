// The rwkv-java web chat: talks to this server's /v1/chat/completions, streamed as server-sent events.
//
// A conversation is a list of messages. Each request sends the whole conversation (the server's prefix cache finds
// the part it has seen, so only new tokens are processed). A conversation loaded from a file instead starts from the
// state saved in it: its saved messages are inside that state, and requests send the state plus the messages after
// it. Model output is only ever inserted as text, never as markup.
'use strict';

(() => {
  const KEY_STORE = 'rwkv-chat-api-key';
  const FILE_FORMAT = 'rwkv-java-chat';
  const FILE_VERSION = 1;
  const MAX_FILE_BYTES = 1 << 30;

  const $ = (id) => document.getElementById(id);

  /**
   * Reads a server-sent event stream (a fetch response body) and calls onData with the data of each event. The bytes
   * go through one streaming UTF-8 decoder, so a character whose bytes arrive in two network reads is decoded whole;
   * lines may end in \n, \r\n or \r (a \r at the end of a read waits for the next one).
   */
  async function readEvents(body, onData) {
    const reader = body.getReader();
    const decoder = new TextDecoder('utf-8');
    let buf = '';
    let data = [];
    const line = (text) => {
      if (text === '') {
        if (data.length > 0) {
          const d = data.join('\n');
          data = [];
          onData(d);
        }
        return;
      }
      if (text.startsWith(':')) {
        return; // a comment (the server's keep-alive)
      }
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'data') {
        data.push(value);
      }
    };
    const eol = /\r\n|\r|\n/g;
    for (;;) {
      const { value, done } = await reader.read();
      buf += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      eol.lastIndex = 0;
      let m;
      while ((m = eol.exec(buf)) !== null) {
        if (m[0] === '\r' && m.index === buf.length - 1 && !done) {
          break; // maybe the first half of \r\n
        }
        line(buf.slice(start, m.index));
        start = eol.lastIndex;
      }
      buf = buf.slice(start);
      if (done) {
        return; // an event without its blank line is incomplete and dropped, as the format says
      }
    }
  }

  /** A piece of text without a trailing high surrogate, which waits for its other half (next piece). */
  function splitSurrogate(text) {
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      return [text.slice(0, -1), text.slice(-1)];
    }
    return [text, ''];
  }

  // Exposed for tests and for reuse of the stream reader.
  window.rwkvChat = { readEvents, splitSurrogate };

  document.addEventListener('DOMContentLoaded', () => {
    const ui = {
      log: $('log'),
      composer: $('composer'),
      input: $('input'),
      send: $('send'),
      stop: $('stop'),
      regenerate: $('regenerate'),
      newChat: $('new-chat'),
      save: $('save'),
      load: $('load'),
      system: $('system'),
      systemNote: $('system-note'),
      modelName: $('model-name'),
      status: $('status'),
      keyDialog: $('key-dialog'),
      keyForm: $('key-form'),
      keyReason: $('key-reason'),
      keyInput: $('key-input'),
      keyCancel: $('key-cancel'),
    };
    const sampling = [
      { input: $('temperature'), name: 'temperature', label: 'Temperature' },
      { input: $('top-p'), name: 'top_p', label: 'Top-p' },
      { input: $('presence'), name: 'presence_penalty', label: 'Presence penalty' },
      { input: $('frequency'), name: 'frequency_penalty', label: 'Frequency penalty' },
      { input: $('max-tokens'), name: 'max_tokens', label: 'Max tokens', integer: true },
    ];

    let finished = 0; // answers ended (in any way), for whoever waits for one
    const chat = {
      // {kind: user | assistant | notice | error, content, node, textNode, stats, pending, undrawn}
      entries: [],
      base: null, // {state, count, system}: the first `count` messages (and the system prompt) are in `state`
      running: null, // {controller, stopped}
      epoch: 0, // counts new conversations: a request that ends after one began leaves no trace
      model: null, // {id, fingerprint}
    };

    // ---- API key (sessionStorage only: it lives as long as the tab) ----

    const apiKey = () => sessionStorage.getItem(KEY_STORE);
    let keyResolve = null;
    let keyAsked = null;

    function askKey(reason) {
      if (keyAsked) {
        return keyAsked;
      }
      keyAsked = new Promise((resolve) => {
        keyResolve = resolve;
        ui.keyReason.textContent = reason;
        ui.keyInput.value = '';
        ui.keyDialog.showModal();
        ui.keyInput.focus();
      });
      return keyAsked;
    }

    function keyAnswered(value) {
      if (!keyResolve) {
        return;
      }
      const resolve = keyResolve;
      keyResolve = null;
      keyAsked = null;
      if (ui.keyDialog.open) {
        ui.keyDialog.close();
      }
      // Chromium gives the focus back to the element that had it, but that element then takes no typing until it is
      // focused again.
      const back = document.activeElement;
      if (back instanceof HTMLElement && back !== document.body) {
        back.blur();
        back.focus();
      }
      resolve(value);
    }

    ui.keyForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = ui.keyInput.value.trim();
      if (!/^[\x20-\x7e]+$/.test(v)) {
        ui.keyReason.textContent = 'A key is made of printable ASCII characters.';
        return;
      }
      keyAnswered(v);
    });
    ui.keyCancel.addEventListener('click', () => keyAnswered(null));
    ui.keyDialog.addEventListener('close', () => keyAnswered(null));

    /** A request to the API; a 401 asks for the key (once per refusal) and tries again with it. */
    async function call(path, body, signal) {
      for (;;) {
        const headers = {};
        const key = apiKey();
        if (key) {
          headers.Authorization = 'Bearer ' + key;
        }
        const init = { method: body === undefined ? 'GET' : 'POST', headers, signal, cache: 'no-store' };
        if (body !== undefined) {
          headers['Content-Type'] = 'application/json';
          init.body = JSON.stringify(body);
        }
        const res = await fetch(path, init);
        if (res.status !== 401) {
          return res;
        }
        const given = await askKey(key ? 'The server refused that key; enter the right one.'
          : 'This server needs an API key.');
        if (given === null) {
          return res;
        }
        sessionStorage.setItem(KEY_STORE, given);
      }
    }

    /** The error a failed response carries, as a sentence. */
    async function describe(res) {
      let message = res.statusText || 'request failed';
      let code = null;
      try {
        const o = await res.json();
        if (o && o.error && typeof o.error.message === 'string') {
          message = o.error.message;
          code = o.error.code || null;
        }
      } catch (ignored) {
        // not JSON: the status says enough
      }
      const retry = res.headers.get('Retry-After');
      const what = res.status === 429 ? 'The server is busy' : res.status === 401 ? 'Not authorized'
        : 'The server refused the request';
      return `${what} (HTTP ${res.status}${code ? ', ' + code : ''}): ${message}`
        + (retry ? ` Try again in ${retry} s.` : '');
    }

    // ---- the conversation on screen ----

    function nearBottom() {
      return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 48;
    }

    function scrollIfFollowing(following) {
      if (following) {
        ui.log.scrollTop = ui.log.scrollHeight;
      }
    }

    const labels = { user: 'You', assistant: 'Assistant', notice: null, error: 'Error' };

    function addEntry(kind, content) {
      const following = nearBottom();
      const node = document.createElement('li');
      node.className = kind;
      if (kind === 'error') {
        node.setAttribute('role', 'alert');
      }
      if (labels[kind]) {
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = labels[kind];
        node.append(who);
      }
      const text = document.createElement('div');
      text.className = 'text';
      const textNode = document.createTextNode(content);
      text.append(textNode);
      node.append(text);
      const stats = document.createElement('span');
      stats.className = 'stats';
      node.append(stats);
      ui.log.append(node);
      const entry = { kind, content, node, textNode, stats, pending: '', undrawn: '' };
      chat.entries.push(entry);
      scrollIfFollowing(following);
      return entry;
    }

    function removeEntry(entry) {
      undrawn.delete(entry);
      const i = chat.entries.indexOf(entry);
      if (i >= 0) {
        chat.entries.splice(i, 1);
      }
      entry.node.remove();
    }

    // Text arriving between two frames is drawn at once: measuring the scroll position after every token would lay
    // the page out again for each one.
    let drawQueued = false;
    const undrawn = new Set();

    function draw() {
      drawQueued = false;
      const following = nearBottom();
      for (const entry of undrawn) {
        entry.textNode.appendData(entry.undrawn);
        entry.undrawn = '';
      }
      undrawn.clear();
      scrollIfFollowing(following);
    }

    function appendText(entry, piece) {
      const [now, later] = splitSurrogate(entry.pending + piece);
      entry.pending = later;
      if (now) {
        entry.content += now;
        entry.undrawn += now;
        undrawn.add(entry);
        if (!drawQueued) {
          drawQueued = true;
          requestAnimationFrame(draw);
        }
      }
    }

    /** Ends an entry's text: a held half of a surrogate pair goes in as it is, and everything is drawn now. */
    function flushText(entry) {
      if (entry.pending) {
        entry.content += entry.pending;
        entry.undrawn += entry.pending;
        entry.pending = '';
        undrawn.add(entry);
      }
      draw();
    }

    const notice = (text) => addEntry('notice', text);
    const error = (text) => addEntry('error', text);

    function announce(text) {
      ui.status.textContent = text;
    }

    const messages = () => chat.entries.filter((e) => e.kind === 'user' || e.kind === 'assistant');

    function inSavedState(entry) {
      return chat.base !== null && messages().indexOf(entry) < chat.base.count;
    }

    function canRegenerate() {
      const m = messages();
      const last = m[m.length - 1];
      return !chat.running && last !== undefined && !(last.kind === 'assistant' && inSavedState(last));
    }

    function hasSomethingToSave() {
      const m = messages();
      if (m.length > 0) {
        return m[m.length - 1].kind === 'assistant';
      }
      return chat.base !== null || ui.system.value.trim() !== '';
    }

    function refresh() {
      const busy = chat.running !== null;
      ui.send.disabled = busy;
      ui.stop.disabled = !busy;
      ui.regenerate.disabled = !canRegenerate();
      ui.save.disabled = busy || !hasSomethingToSave();
      ui.load.disabled = busy;
      ui.log.setAttribute('aria-busy', busy ? 'true' : 'false');
    }

    // ---- requests ----

    function samplingSettings() {
      const out = {};
      for (const s of sampling) {
        const v = s.input.valueAsNumber;
        const min = Number(s.input.min);
        const max = Number(s.input.max);
        if (Number.isNaN(v) || v < min || v > max || (s.integer && !Number.isInteger(v))) {
          throw new Error(`${s.label} must be ${s.integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
        }
        out[s.name] = v;
      }
      return out;
    }

    /** The messages a request sends: after the saved state when there is one, else all with the system prompt. */
    function requestMessages() {
      const out = [];
      if (chat.base === null && ui.system.value.trim() !== '') {
        out.push({ role: 'system', content: ui.system.value });
      }
      for (const m of messages().slice(chat.base === null ? 0 : chat.base.count)) {
        out.push({ role: m.kind, content: m.content });
      }
      return out;
    }

    function withModel(body) {
      if (chat.model) {
        body.model = chat.model.id;
      }
      if (chat.base !== null) {
        body.rwkv = Object.assign(body.rwkv || {}, { state: chat.base.state });
      }
      return body;
    }

    function formatStats(usage, rate, finish, stopped) {
      const parts = [];
      parts.push(`${usage.completion_tokens} tokens`);
      if (rate !== null) {
        parts.push(`${rate.toFixed(1)} tokens/s`);
      }
      const details = usage.prompt_tokens_details || {};
      parts.push(`prompt ${usage.prompt_tokens} tokens, ${details.cached_tokens || 0} cached`);
      if (finish === 'length') {
        parts.push('stopped at the token limit');
      }
      if (stopped) {
        parts.push('stopped');
      }
      return parts.join(' · ');
    }

    /** Asks for an answer to the conversation as it stands and streams it into a new entry. */
    async function generate() {
      let settings;
      try {
        settings = samplingSettings();
      } catch (e) {
        error(e.message);
        return;
      }
      const body = withModel(Object.assign({ messages: requestMessages(), stream: true }, settings));
      const controller = new AbortController();
      const run = { controller, stopped: false };
      const epoch = chat.epoch;
      chat.running = run;
      refresh();
      announce('Waiting for the answer…');
      const answer = addEntry('assistant', '');
      answer.node.classList.add('streaming');
      const started = performance.now();
      let first = null;
      let last = null;
      let usage = null;
      let finish = null;
      let done = false;
      let failure = null;
      try {
        const res = await call('/v1/chat/completions', body, controller.signal);
        if (!res.ok) {
          failure = await describe(res);
        } else {
          await readEvents(res.body, (data) => {
            if (data === '[DONE]') {
              done = true;
              return;
            }
            const o = JSON.parse(data);
            if (o.error) {
              failure = `The answer failed: ${o.error.message || 'unknown error'}`;
              return;
            }
            const choice = o.choices && o.choices[0];
            if (choice) {
              const piece = choice.delta && choice.delta.content;
              if (piece) {
                const now = performance.now();
                if (first === null) {
                  first = now;
                  announce('Answering…');
                }
                last = now;
                appendText(answer, piece);
              }
              if (choice.finish_reason) {
                finish = choice.finish_reason;
              }
            }
            if (o.usage) {
              usage = o.usage;
            }
          });
          if (!done && failure === null && !run.stopped) {
            failure = 'The connection closed before the answer finished.';
          }
        }
      } catch (e) {
        controller.abort();
        if (!run.stopped) {
          failure = e instanceof SyntaxError ? `The server sent something unreadable: ${e.message}`
            : `The connection to the server dropped before the answer finished (${e.message}).`;
        }
      }
      flushText(answer);
      answer.node.classList.remove('streaming');
      if (chat.running === run) {
        chat.running = null;
      }
      finished += 1;
      if (epoch !== chat.epoch) {
        document.body.dataset.finished = String(finished);
        refresh();
        return;
      }
      if (answer.content === '' && (failure !== null || run.stopped)) {
        removeEntry(answer);
      } else if (usage) {
        const n = usage.completion_tokens;
        const rate = n > 1 && last > first ? (n - 1) * 1000 / (last - first) : null;
        answer.stats.textContent = formatStats(usage, rate, finish, run.stopped);
        answer.stats.dataset.completionTokens = n;
        answer.stats.dataset.promptTokens = usage.prompt_tokens;
        answer.stats.dataset.cachedTokens = (usage.prompt_tokens_details || {}).cached_tokens || 0;
        if (rate !== null) {
          answer.stats.dataset.tokensPerSecond = rate.toFixed(3);
        }
        answer.stats.dataset.firstTokenMs = first === null ? '' : Math.round(first - started);
      } else if (run.stopped) {
        answer.stats.textContent = 'stopped';
      }
      if (run.stopped) {
        notice(answer.content === '' ? 'Stopped before the answer began.' : 'Stopped.');
      }
      if (failure !== null) {
        error(failure);
      }
      document.body.dataset.finished = String(finished);
      announce(failure !== null ? 'The answer failed.' : run.stopped ? 'Stopped.' : 'Answer finished.');
      refresh();
    }

    function send() {
      const text = ui.input.value;
      if (chat.running || text.trim() === '') {
        return;
      }
      try {
        samplingSettings();
      } catch (e) {
        error(e.message);
        return;
      }
      addEntry('user', text);
      ui.input.value = '';
      generate();
    }

    function stop() {
      if (chat.running) {
        chat.running.stopped = true;
        chat.running.controller.abort();
      }
    }

    /** Drops the last answer (and the notes after it) and asks again. */
    function regenerate() {
      if (!canRegenerate()) {
        return;
      }
      const m = messages();
      const last = m[m.length - 1];
      const from = chat.entries.indexOf(last) + (last.kind === 'assistant' ? 0 : 1);
      for (const e of chat.entries.slice(from)) {
        removeEntry(e);
      }
      generate();
    }

    function newConversation() {
      stop();
      chat.running = null;
      chat.epoch += 1;
      for (const e of [...chat.entries]) {
        removeEntry(e);
      }
      chat.base = null;
      ui.system.readOnly = false;
      ui.systemNote.hidden = true;
      announce('New conversation.');
      refresh();
      ui.input.focus();
    }

    // ---- saving and loading (the state is what lets a conversation go on after a server restart) ----

    function fileName() {
      const d = new Date();
      const p = (n) => String(n).padStart(2, '0');
      return `rwkv-chat-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`
        + `${p(d.getSeconds())}.json`;
    }

    /**
     * Saves the messages and the state after them. The state is computed by the server from the messages (no new
     * tokens): they end with an empty answer, so the last real answer is followed by its end-of-reply text, exactly
     * as when the conversation is sent whole with a next message.
     */
    async function save() {
      if (chat.running || !hasSomethingToSave()) {
        return;
      }
      const m = messages();
      const body = withModel({ messages: requestMessages().concat([{ role: 'assistant', content: '' }]),
        max_tokens: 0, stream: false, rwkv: { return_state: true } });
      const run = { controller: new AbortController(), stopped: false };
      const epoch = chat.epoch;
      chat.running = run;
      refresh();
      try {
        const res = await call('/v1/chat/completions', body, run.controller.signal);
        if (epoch !== chat.epoch) {
          return;
        }
        if (!res.ok) {
          error('Could not save: ' + await describe(res));
          return;
        }
        const o = await res.json();
        if (epoch !== chat.epoch) {
          return;
        }
        const state = o.rwkv && o.rwkv.state;
        if (typeof state !== 'string' || state === '') {
          error('Could not save: the server returned no state.');
          return;
        }
        const file = {
          format: FILE_FORMAT,
          version: FILE_VERSION,
          model: chat.model ? chat.model.id : null,
          fingerprint: chat.model ? chat.model.fingerprint : null,
          saved: new Date().toISOString(),
          system: chat.base !== null ? chat.base.system : ui.system.value,
          messages: m.map((e) => ({ role: e.kind, content: e.content })),
          state,
        };
        const url = URL.createObjectURL(new Blob([JSON.stringify(file)], { type: 'application/json' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = fileName();
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60000);
        notice(`Saved ${m.length} messages and the conversation's state to ${a.download}.`);
      } catch (e) {
        if (epoch === chat.epoch) {
          error(`Could not save: the connection to the server failed (${e.message}).`);
        }
      } finally {
        if (chat.running === run) {
          chat.running = null;
        }
        refresh();
      }
    }

    function checkFile(o) {
      if (!o || typeof o !== 'object' || o.format !== FILE_FORMAT) {
        throw new Error('it is not a conversation saved by this page');
      }
      if (o.version !== FILE_VERSION) {
        throw new Error(`its version is ${o.version}; this page reads version ${FILE_VERSION}`);
      }
      if (typeof o.state !== 'string' || o.state === '') {
        throw new Error('it has no state');
      }
      if (!Array.isArray(o.messages)) {
        throw new Error('it has no messages');
      }
      o.messages.forEach((m, i) => {
        if (!m || (m.role !== 'user' && m.role !== 'assistant') || typeof m.content !== 'string') {
          throw new Error(`message ${i + 1} is not a user or assistant message with text`);
        }
      });
      if (o.system !== undefined && o.system !== null && typeof o.system !== 'string') {
        throw new Error('its system prompt is not text');
      }
      if (chat.model && o.fingerprint && chat.model.fingerprint && o.fingerprint !== chat.model.fingerprint) {
        throw new Error(`it was saved with another model (${o.model || 'unnamed'}); this server runs `
          + chat.model.id);
      }
    }

    async function load(file) {
      let o;
      try {
        if (file.size > MAX_FILE_BYTES) {
          throw new Error(`it has ${file.size} bytes, more than a saved conversation can have`);
        }
        try {
          o = JSON.parse(await file.text());
        } catch (e) {
          throw new Error('it is not JSON');
        }
        checkFile(o);
      } catch (e) {
        error(`Could not load ${file.name}: ${e.message}.`);
        return;
      }
      newConversation();
      for (const m of o.messages) {
        addEntry(m.role, m.content).node.classList.add('saved');
      }
      chat.base = { state: o.state, count: o.messages.length, system: o.system || '' };
      ui.system.value = chat.base.system;
      ui.system.readOnly = true;
      ui.systemNote.hidden = false;
      notice(`Loaded ${o.messages.length} messages from ${file.name}; the conversation goes on from its saved state.`);
      announce('Conversation loaded.');
      refresh();
    }

    // ---- wiring ----

    ui.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    ui.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        send();
      }
    });
    ui.stop.addEventListener('click', stop);
    ui.regenerate.addEventListener('click', regenerate);
    ui.newChat.addEventListener('click', newConversation);
    ui.save.addEventListener('click', save);
    ui.system.addEventListener('input', refresh);
    ui.load.addEventListener('change', () => {
      const f = ui.load.files && ui.load.files[0];
      ui.load.value = '';
      if (f) {
        load(f);
      }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && chat.running && !ui.keyDialog.open) {
        stop();
      }
    });

    (async () => {
      try {
        const res = await call('/v1/models');
        if (!res.ok) {
          ui.modelName.textContent = 'unknown';
          error('Could not read the model: ' + await describe(res));
          return;
        }
        const o = await res.json();
        const m = o.data && o.data[0];
        if (m) {
          chat.model = { id: m.id, fingerprint: m.fingerprint || null };
          ui.modelName.textContent = m.id;
        }
      } catch (e) {
        ui.modelName.textContent = 'unknown';
        error(`Could not reach the server (${e.message}).`);
      } finally {
        document.body.dataset.ready = 'true';
      }
    })();

    refresh();
    ui.input.focus();
  });
})();
