/**
 * The sandbox's Slack channel page: Block Kit messages rendered roughly as a Slack client shows
 * them, with working buttons. Pick who you are; a click makes the sandbox send a signed
 * `block_actions` to the service; modals opened with `views.open` appear over the page and their
 * submit sends a signed `view_submission`; ephemeral replies show to that user only.
 * The Home tab page shows the view the app published for that user (views.publish), with buttons
 * that send `block_actions` from the view; opening it sends `app_home_opened`.
 * Server-rendered HTML plus a little script; no service code.
 */
import type { SlackSandboxState } from '../systems/slack/state';

interface SeedUser {
  id: string;
  username: string;
  realName: string;
  role: string;
}

export interface SlackPageInput {
  state: SlackSandboxState;
  seed: { users: readonly SeedUser[]; channels: readonly { id: string; name: string }[]; botUserId: string };
  /** The user the page acts as; defaults to the first user. */
  as?: string;
  channel: string;
}

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A small mrkdwn renderer: mentions, dates, links, bold, italics, strike, code, quotes, emoji names. */
export function renderMrkdwn(text: string, users: readonly SeedUser[]): string {
  const tokens: string[] = [];
  // Placeholders survive escaping and the formatting regexes untouched.
  const keep = (html: string) => `%%tok${tokens.push(html) - 1}%%`;
  let s = text.replace(/<([^>]+)>/g, (_m, inner: string) => {
    if (inner.startsWith('@')) {
      const u = users.find((x) => x.id === inner.slice(1).split('|')[0]);
      return keep(`<span class="mention">@${esc(u?.realName ?? inner.slice(1))}</span>`);
    }
    if (inner.startsWith('!date^')) return keep(`<span class="date">${esc(inner.split('|')[1] ?? '')}</span>`);
    if (inner.startsWith('!')) return keep(`<span class="mention">@${esc(inner.slice(1).split('|')[0])}</span>`);
    const [url, label] = inner.split('|');
    return /^(https?:|mailto:)/.test(url)
      ? keep(`<a href="${esc(url)}" target="_blank" rel="noreferrer">${esc(label ?? url)}</a>`)
      : keep(esc(`<${inner}>`));
  });
  // Slack shows &amp; &lt; &gt; as the characters, never as markup (an escaped `>` starts no quote).
  s = s.replace(/&(amp|lt|gt);/g, (_m, e: string) => keep(`&${e};`));
  s = esc(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_/g, '$1<i>$2</i>')
    .replace(/(^|[\s(])~([^~\n]+)~/g, '$1<s>$2</s>')
    .replace(
      /:(rotating_light|warning|white_check_mark|x):/g,
      (_m, n: string) => ({ rotating_light: '🚨', warning: '⚠️', white_check_mark: '✅', x: '❌' })[n] as string,
    );
  s = s
    .split('\n')
    .map((line) => (line.startsWith('&gt;') ? `<blockquote>${line.slice(4)}</blockquote>` : line))
    .join('<br>')
    .replace(/<\/blockquote><br><blockquote>/g, '<br>');
  return s.replace(/%%tok(\d+)%%/g, (_m, i: string) => tokens[Number(i)]);
}

function textObj(t: unknown, users: readonly SeedUser[]): string {
  const o = t as { type?: string; text?: string } | undefined;
  if (!o?.text) return '';
  return o.type === 'mrkdwn' ? renderMrkdwn(o.text, users) : esc(o.text);
}

/** Where a button lives: a message (channel + ts) or a view (the Home tab); without one, buttons are inert. */
type ButtonTarget = { channel: string; ts: string } | { viewId: string };

function targetAttributes(t: ButtonTarget | undefined): string {
  if (!t) return 'disabled';
  return 'viewId' in t ? `data-view-id="${esc(t.viewId)}"` : `data-channel="${esc(t.channel)}" data-ts="${esc(t.ts)}"`;
}

function renderBlocks(blocks: Record<string, unknown>[], users: readonly SeedUser[], target?: ButtonTarget): string {
  return blocks
    .map((b) => {
      switch (b.type) {
        case 'header':
          return `<div class="b-header">${textObj(b.text, users)}</div>`;
        case 'section': {
          const fields = (b.fields as unknown[] | undefined)?.map((f) => `<div class="field">${textObj(f, users)}</div>`).join('') ?? '';
          return `<div class="b-section" data-block-id="${esc(b.block_id)}">${textObj(b.text, users)}${fields ? `<div class="fields">${fields}</div>` : ''}</div>`;
        }
        case 'context':
          return `<div class="b-context">${((b.elements as unknown[]) ?? []).map((e) => `<span>${textObj(e, users)}</span>`).join(' ')}</div>`;
        case 'divider':
          return '<hr>';
        case 'actions':
          return `<div class="b-actions" data-block-id="${esc(b.block_id)}">${((b.elements as Record<string, unknown>[]) ?? [])
            .filter((e) => e.type === 'button')
            .map(
              (e) =>
                `<button class="btn ${esc(e.style ?? '')}" ${targetAttributes(target)} data-action-id="${esc(e.action_id)}" data-value="${esc(e.value)}" data-block-id="${esc(b.block_id)}">${textObj(e.text, users)}</button>`,
            )
            .join('')}</div>`;
        case 'input':
          return '';
        default:
          return `<div class="b-unknown">[${esc(b.type)} block]</div>`;
      }
    })
    .join('');
}

function renderModal(view: SlackSandboxState['views'][number], users: readonly SeedUser[]): string {
  const v = view.view as { title?: unknown; submit?: unknown; close?: unknown; blocks?: Record<string, unknown>[] };
  const inputs = (v.blocks ?? [])
    .map((b) => {
      if (b.type !== 'input') return renderBlocks([b], users);
      const el = b.element as { type: string; action_id: string; multiline?: boolean };
      const err = view.errors?.[b.block_id as string];
      // users_select: Slack shows the workspace's people; the sandbox lists its seeded users.
      const field =
        el.type === 'users_select'
          ? `<select name="${esc(b.block_id)}" data-action-id="${esc(el.action_id)}"><option value="">Choose a person</option>${users
              .map((u) => `<option value="${esc(u.id)}">${esc(u.realName)}</option>`)
              .join('')}</select>`
          : el.multiline
            ? `<textarea name="${esc(b.block_id)}" data-action-id="${esc(el.action_id)}" rows="4"></textarea>`
            : `<input name="${esc(b.block_id)}" data-action-id="${esc(el.action_id)}">`;
      return `<label class="input"><span>${textObj(b.label, users)}</span>${field}${err ? `<span class="error">${esc(err)}</span>` : ''}</label>`;
    })
    .join('');
  return `<div class="overlay"><form class="modal" id="modal" data-view-id="${esc(view.id)}"><h2>${textObj(v.title, users)}</h2>${inputs}
<div class="modal-actions"><button type="button" class="btn" id="modal-close">${textObj(v.close, users) || 'Cancel'}</button><button type="submit" class="btn primary" id="modal-submit">${textObj(v.submit, users) || 'Submit'}</button></div></form></div>`;
}

/** Shared by the channel and Home pages. */
const PAGE_STYLE = `
body{font-family:system-ui,-apple-system,sans-serif;margin:0;color:#1d1c1d;background:#fff}
header{background:#3f0e40;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff}header select{font-size:14px}
main{max-width:56rem;margin:0 auto;padding:1rem}
.msg{border-bottom:1px solid #eee;padding:.75rem 0}.who{font-weight:700;margin-bottom:.25rem}.app{font-size:10px;background:#ddd;color:#555;padding:1px 3px;border-radius:3px}
.edited{font-weight:400;color:#888;font-size:12px}.ephemeral{background:#f8f8f8;border-left:4px solid #1264a3;padding-left:.5rem}.only{font-weight:400;color:#616061;font-size:12px}
.b-header{font-size:18px;font-weight:800;margin:.25rem 0}.b-section{margin:.35rem 0;line-height:1.4}.fields{display:grid;grid-template-columns:1fr 1fr;gap:.35rem;margin-top:.35rem}
.b-context{color:#616061;font-size:13px;margin:.35rem 0}.b-actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.btn{border:1px solid #bbb;background:#fff;border-radius:4px;padding:.35rem .9rem;font-weight:700;cursor:pointer}.btn.primary{background:#007a5a;color:#fff;border-color:#007a5a}.btn.danger{background:#e01e5a;color:#fff;border-color:#e01e5a}
.btn[disabled]{opacity:.5;cursor:default}.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}blockquote{margin:0;border-left:3px solid #ddd;padding-left:.5rem;color:#444}
.thread{margin-left:1.5rem;border-left:2px solid #eee;padding-left:.75rem;font-size:14px}
.overlay{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center}
.modal{background:#fff;border-radius:8px;padding:1rem 1.25rem;width:30rem;box-shadow:0 10px 30px rgba(0,0,0,.3)}.modal h2{margin-top:0}
.input{display:flex;flex-direction:column;gap:.3rem;margin:.5rem 0;font-weight:700}.input textarea,.input input{font:inherit;font-weight:400;padding:.4rem;border:1px solid #bbb;border-radius:4px}
.error{color:#e01e5a;font-weight:400}.modal-actions{display:flex;justify-content:flex-end;gap:.5rem;margin-top:1rem}
footer{color:#616061;font-size:12px;margin-top:2rem}
.tabs{display:flex;gap:.25rem}.tabs a{padding:.2rem .6rem;border-radius:4px;text-decoration:none}.tabs a.active{background:#fff;color:#3f0e40;font-weight:700}
.home-empty{color:#616061}
`;

/** The header's tabs: the channel and the user's Home tab (the Home link opens the tab, as in Slack). */
function tabs(active: 'channel' | 'home', channelName: string, userId: string): string {
  const as = encodeURIComponent(userId);
  return `<nav class="tabs"><a data-testid="tab-channel" class="${active === 'channel' ? 'active' : ''}" href="/_sandbox/slack/channel?as=${as}">#${esc(channelName)}</a><a data-testid="tab-home" class="${active === 'home' ? 'active' : ''}" href="/_sandbox/slack/home?as=${as}">Home</a></nav>`;
}

export function renderSlackPage(input: SlackPageInput): string {
  const { state, seed } = input;
  const users = seed.users;
  const me = users.find((u) => u.id === input.as) ?? users[0];
  const channel = seed.channels.find((c) => c.id === input.channel) ?? seed.channels[0];
  const roots = state.messages.filter((m) => m.channel === channel.id && !m.threadTs);
  const items: { ts: string; html: string }[] = roots.map((m) => {
    const replies = state.messages.filter((r) => r.channel === channel.id && r.threadTs === m.ts);
    const thread = replies.length
      ? `<div class="thread">${replies.map((r) => `<div class="reply" data-ts="${esc(r.ts)}">${r.blocks.length ? renderBlocks(r.blocks, users) : renderMrkdwn(r.text, users)}</div>`).join('')}</div>`
      : '';
    return {
      ts: m.ts,
      html: `<article class="msg" data-ts="${esc(m.ts)}"><div class="who">Billing Bot <span class="app">APP</span>${m.edited ? ' <span class="edited">(edited)</span>' : ''}</div>${m.blocks.length ? renderBlocks(m.blocks, users, m) : `<div>${renderMrkdwn(m.text, users)}</div>`}${thread}</article>`,
    };
  });
  for (const e of state.ephemerals.filter((x) => x.channel === channel.id && x.user === me.id)) {
    items.push({
      ts: e.ts,
      html: `<article class="msg ephemeral" data-ts="${esc(e.ts)}"><div class="who">Billing Bot <span class="only">Only visible to you</span></div><div class="eph-text">${e.blocks?.length ? renderBlocks(e.blocks, users) : renderMrkdwn(e.text, users)}</div></article>`,
    });
  }
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  const openView = [...state.views].reverse().find((v) => v.open && v.user === me.id);
  const lastDeliveries = state.deliveries
    .slice(-5)
    .reverse()
    .map((d) => `<li>${esc(d.at.slice(11, 19))} ${esc(d.type)} as ${esc(d.user)} → ${d.status || esc(d.error)} (${d.ms} ms)</li>`)
    .join('');
  const options = users
    .map((u) => `<option value="${esc(u.id)}"${u.id === me.id ? ' selected' : ''}>${esc(u.realName)} (${esc(u.role)})</option>`)
    .join('');

  return `<!doctype html><html><head><meta charset="utf-8"><title>#${esc(channel.name)} — Slack sandbox</title><style>${PAGE_STYLE}</style></head><body>
<header>${tabs('channel', channel.name, me.id)}<span>Sandbox workspace</span><label>You are <select id="as">${options}</select></label><a href="/">Sandbox home</a></header>
<main id="channel" data-user="${esc(me.id)}" data-version="${state.version}">
${items.length ? items.map((i) => i.html).join('\n') : '<p class="empty">No messages yet.</p>'}
<footer><div>Deliveries to the service:</div><ul id="deliveries">${lastDeliveries || '<li>none yet</li>'}</ul></footer>
</main>
${openView ? renderModal(openView, users) : ''}
<script>
(function(){
  var me = ${JSON.stringify(me.id)};
  var version = ${state.version};
  var busy = false;
  document.getElementById('as').addEventListener('change', function(e){ location.href = '/_sandbox/slack/channel?as=' + encodeURIComponent(e.target.value); });
  function post(path, body){ return fetch('/_sandbox/slack/' + path, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}).then(function(r){ return r.json(); }); }
  document.querySelectorAll('.b-actions button[data-ts]').forEach(function(b){
    b.addEventListener('click', function(){
      busy = true; b.disabled = true;
      post('click', {user: me, channel: b.dataset.channel, ts: b.dataset.ts, actionId: b.dataset.actionId, value: b.dataset.value, blockId: b.dataset.blockId})
        .finally(function(){ location.reload(); });
    });
  });
  var modal = document.getElementById('modal');
  if (modal) {
    modal.addEventListener('submit', function(e){
      e.preventDefault(); busy = true;
      var values = {};
      modal.querySelectorAll('[data-action-id]').forEach(function(el){ values[el.name] = {}; values[el.name][el.dataset.actionId] = el.value; });
      post('submit', {user: me, viewId: modal.dataset.viewId, values: values}).finally(function(){ location.reload(); });
    });
    document.getElementById('modal-close').addEventListener('click', function(){ post('close', {viewId: modal.dataset.viewId}).finally(function(){ location.reload(); }); });
  }
  // Messages change when the service updates them (a workflow activity): reload on a new version,
  // unless the user is typing in a modal.
  setInterval(function(){
    if (busy || modal) return;
    fetch('/_sandbox/slack/version').then(function(r){ return r.json(); }).then(function(v){ if (v.version !== version) location.reload(); }).catch(function(){});
  }, 700);
})();
</script>
</body></html>`;
}

export interface SlackHomePageInput {
  state: SlackSandboxState;
  seed: SlackPageInput['seed'];
  as?: string;
}

/**
 * The App Home tab of the billing app for one user: the view it last published for them, with
 * working buttons (`data-view-id` instead of a message's channel/ts), the reason modal when one is
 * open, and the page's own reloads (`refresh=1`) that do not count as opening the tab again.
 */
export function renderSlackHomePage(input: SlackHomePageInput): string {
  const { state, seed } = input;
  const users = seed.users;
  const me = users.find((u) => u.id === input.as) ?? users[0];
  const home = state.homes[me.id];
  const channel = seed.channels[0];
  const openView = [...state.views].reverse().find((v) => v.open && v.user === me.id);
  const options = users
    .map((u) => `<option value="${esc(u.id)}"${u.id === me.id ? ' selected' : ''}>${esc(u.realName)} (${esc(u.role)})</option>`)
    .join('');
  const lastDeliveries = state.deliveries
    .filter((d) => d.user === me.id)
    .slice(-5)
    .reverse()
    .map((d) => `<li>${esc(d.at.slice(11, 19))} ${esc(d.type)} → ${d.status || esc(d.error)} (${d.ms} ms)</li>`)
    .join('');
  const body = home
    ? renderBlocks((home.view.blocks ?? []) as Record<string, unknown>[], users, { viewId: home.id })
    : '<p class="home-empty" data-testid="home-unpublished">The app has not published a Home tab for you yet.</p>';
  const refreshUrl = `/_sandbox/slack/home?as=${encodeURIComponent(me.id)}&refresh=1`;

  return `<!doctype html><html><head><meta charset="utf-8"><title>Billing Handoffs (Home) — Slack sandbox</title><style>${PAGE_STYLE}</style></head><body>
<header>${tabs('home', channel.name, me.id)}<span>Billing Handoffs · Home</span><label>You are <select id="as">${options}</select></label><a href="/">Sandbox home</a></header>
<main id="home" data-testid="home-tab" data-user="${esc(me.id)}" data-view-id="${esc(home?.id ?? '')}" data-hash="${esc(home?.hash ?? '')}" data-version="${state.version}">
${body}
<footer><div>Deliveries to the service (yours):</div><ul id="deliveries">${lastDeliveries || '<li>none yet</li>'}</ul></footer>
</main>
${openView ? renderModal(openView, users) : ''}
<script>
(function(){
  var me = ${JSON.stringify(me.id)};
  var version = ${state.version};
  var refreshUrl = ${JSON.stringify(refreshUrl)};
  var busy = false;
  // Another user opens their own Home tab (without refresh=1: that is an opening, as in Slack).
  document.getElementById('as').addEventListener('change', function(e){ location.href = '/_sandbox/slack/home?as=' + encodeURIComponent(e.target.value); });
  function post(path, body){ return fetch('/_sandbox/slack/' + path, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify(body)}).then(function(r){ return r.json(); }); }
  document.querySelectorAll('.b-actions button[data-view-id]').forEach(function(b){
    b.addEventListener('click', function(){
      busy = true; b.disabled = true;
      post('home/click', {user: me, viewId: b.dataset.viewId, actionId: b.dataset.actionId, value: b.dataset.value, blockId: b.dataset.blockId})
        .finally(function(){ location.replace(refreshUrl); });
    });
  });
  var modal = document.getElementById('modal');
  if (modal) {
    modal.addEventListener('submit', function(e){
      e.preventDefault(); busy = true;
      var values = {};
      modal.querySelectorAll('[data-action-id]').forEach(function(el){ values[el.name] = {}; values[el.name][el.dataset.actionId] = el.value; });
      post('submit', {user: me, viewId: modal.dataset.viewId, values: values}).finally(function(){ location.replace(refreshUrl); });
    });
    document.getElementById('modal-close').addEventListener('click', function(){ post('close', {viewId: modal.dataset.viewId}).finally(function(){ location.replace(refreshUrl); }); });
  }
  // The app publishes the tab after the opening event and after decisions: re-render on a new
  // version (a re-render is not an opening), unless the user is typing in a modal.
  setInterval(function(){
    if (busy || modal) return;
    fetch('/_sandbox/slack/version').then(function(r){ return r.json(); }).then(function(v){ if (v.version !== version) location.replace(refreshUrl); }).catch(function(){});
  }, 700);
})();
</script>
</body></html>`;
}
