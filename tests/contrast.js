const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
const blend = (top, under) => { const a = top[3]; return [0,1,2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
const inside = (a, b) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
const background = (el) => { const layers = []; const box = el.getBoundingClientRect(); for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0 && (e === document.documentElement || e === document.body || inside(box, e.getBoundingClientRect()))) { layers.push(c); if (c[3] >= 1) break; } }
  let colour = [255, 255, 255, 1]; for (const l of layers.reverse()) colour = blend(l, colour); return colour; };
const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
const out = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) { const node = walker.currentNode; const el = node.parentElement; const text = node.nodeValue.trim();
  if (!text || !el || !el.checkVisibility({opacityProperty: false, visibilityProperty: true})) continue;
  const r = el.getBoundingClientRect(); if (r.width === 0 || r.height === 0) continue;
  if (el.closest('[data-testid="stIconMaterial"], .ess-symbol, [aria-hidden="true"], svg, [disabled]')) continue;
  if (opacity(el) === 0) continue;
  const bg = background(el); let fg = parse(getComputedStyle(el).color); fg = [fg[0], fg[1], fg[2], fg[3] * opacity(el)];
  const shown = blend(fg, bg); const [a, b] = [lum(shown), lum(bg)];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  out.push({text: text.slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: getComputedStyle(el).color, tag: el.tagName, testid: (el.closest('[data-testid]') || {}).dataset?.testid}); }
return out;
