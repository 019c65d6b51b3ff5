// The element that has the keyboard's focus, as a reader sees and hears it: its name
// (roughly as a screen reader computes it), whether it can be seen, and its focus ring
// (an outline of at least 2 px on it or on the field box around it, its contrast with
// what is around the ring, and whether a box that clips its content cuts it).
const el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return null;
const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
  const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
const behind = (e) => { for (; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
  if (c && c[3] >= 0.5) return c; } return [255, 255, 255, 1]; };
const text = (e) => { const copy = e.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"], [data-testid="stIconMaterial"]').forEach(n => n.remove());
  return (copy.textContent || '').replace(/\s+/g, ' ').trim(); };
const name = (e) => {
  const by = (e.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
    .map(id => document.getElementById(id)).filter(Boolean).map(text).join(' ').trim();
  if (by) return by;
  const label = (e.getAttribute('aria-label') || '').trim();
  if (label) return label;
  const labels = [...(e.labels || [])].map(text).join(' ').trim();
  if (labels) return labels;
  return text(e) || (e.getAttribute('title') || e.getAttribute('alt') || '').trim();
};
let ring = null;
for (let e = el, up = 0; e && up < 4 && !ring; e = e.parentElement, up++) {
  const s = getComputedStyle(e);
  if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ring = e;
}
const holder = ring || el;
const box = holder.getBoundingClientRect();
const result = {tag: el.tagName.toLowerCase(), name: name(el), testid: (el.closest('[data-testid]') || {}).dataset?.testid || null,
  html: el.outerHTML.slice(0, 160), problems: []};
const seen = box.width >= 2 && box.height >= 2 && box.right > 0 && box.bottom > 0 &&
  box.left < innerWidth && box.top < innerHeight && holder.checkVisibility({visibilityProperty: true, opacityProperty: true});
if (!seen) result.problems.push(`not visible (${Math.round(box.left)}, ${Math.round(box.top)}, ${Math.round(box.width)} × ${Math.round(box.height)})`);
if (!result.name) result.problems.push('no name');
if (!ring) { result.problems.push('no focus ring'); return result; }
const s = getComputedStyle(ring), width = parseFloat(s.outlineWidth), offset = parseFloat(s.outlineOffset);
const colour = parse(s.outlineColor), around = offset >= 0 ? behind(ring.parentElement) : behind(ring);
const [a, b] = [lum(colour), lum(around)];
const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
if (ratio < 3) result.problems.push(`focus ring contrast ${ratio.toFixed(2)}:1`);
const grow = Math.max(0, offset + width);
const outer = {left: box.left - grow, right: box.right + grow, top: box.top - grow, bottom: box.bottom + grow};
for (let e = ring.parentElement; e && e !== document.documentElement; e = e.parentElement) {
  const style = getComputedStyle(e);
  if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
  const clip = e.getBoundingClientRect();
  if (outer.left < clip.left - 1 || outer.right > clip.right + 1 || outer.top < clip.top - 1 || outer.bottom > clip.bottom + 1) {
    result.problems.push(`focus ring cut by ${e.tagName.toLowerCase()}[data-testid=${e.dataset.testid || ''}]`); break; }
}
if (seen) {
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1), y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  if (top && !holder.contains(top) && !top.contains(holder)) result.problems.push(`covered by ${top.tagName.toLowerCase()}[data-testid=${(top.closest('[data-testid]') || {}).dataset?.testid || ''}]`);
}
return result;
