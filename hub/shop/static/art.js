// Product pictures and interface icons as inline SVG.
//
// The hub has no network and no photo assets, so every product kind is drawn from a few
// shapes in a 100x100 box, tinted with the product's colour. Same input, same pixels.
(function () {
  "use strict";

  function keyboardKeys() {
    let keys = "";
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 10; col++) {
        keys += `<rect x="${14 + col * 7.3}" y="${40 + row * 7.5}" width="5.5" height="5.5" rx="1" fill="#e5e7eb"/>`;
      }
    }
    return keys + '<rect x="28" y="62" width="44" height="3" rx="1" fill="#e5e7eb"/>';
  }

  const SHAPES = {
    headphones: (c) => `<path d="M22 60V48a28 28 0 0 1 56 0v12" fill="none" stroke="${c}" stroke-width="7"/>
      <rect x="13" y="52" width="19" height="30" rx="8" fill="${c}"/><rect x="68" y="52" width="19" height="30" rx="8" fill="${c}"/>
      <rect x="17" y="56" width="6" height="22" rx="3" fill="#fff" opacity=".25"/>`,
    laptop: (c) => `<rect x="21" y="22" width="58" height="40" rx="3" fill="${c}"/><rect x="25" y="26" width="50" height="32" fill="#dbeafe"/>
      <path d="M25 58l22-20 14 12 14-10v18z" fill="#93c5fd"/><path d="M10 64h80l-6 9H16z" fill="${c}"/><rect x="42" y="64" width="16" height="2" fill="#fff" opacity=".5"/>`,
    phone: (c) => `<rect x="33" y="12" width="34" height="70" rx="7" fill="${c}"/><rect x="36" y="18" width="28" height="58" rx="3" fill="#c7d2fe"/>
      <path d="M36 60l10-12 8 8 10-10v30H36z" fill="#818cf8"/><rect x="45" y="14" width="10" height="2" rx="1" fill="#fff" opacity=".6"/>`,
    watch: (c) => `<rect x="39" y="10" width="22" height="80" rx="6" fill="${c}"/><rect x="28" y="30" width="44" height="40" rx="11" fill="#0b1220"/>
      <rect x="32" y="34" width="36" height="32" rx="8" fill="#0e7490"/><path d="M38 52h6l3-7 4 13 3-6h8" stroke="#a5f3fc" stroke-width="2.5" fill="none"/>`,
    speaker: (c) => `<rect x="25" y="20" width="50" height="62" rx="13" fill="${c}"/><circle cx="50" cy="58" r="15" fill="#0b1220" opacity=".45"/>
      <circle cx="50" cy="58" r="7" fill="#0b1220" opacity=".5"/><circle cx="50" cy="33" r="5" fill="#0b1220" opacity=".45"/>`,
    camera: (c) => `<rect x="16" y="34" width="68" height="42" rx="6" fill="${c}"/><rect x="24" y="27" width="18" height="9" rx="2" fill="${c}"/>
      <circle cx="54" cy="55" r="16" fill="#111827"/><circle cx="54" cy="55" r="10" fill="#334155"/><circle cx="50" cy="51" r="3" fill="#94a3b8"/>
      <rect x="70" y="38" width="8" height="4" rx="1" fill="#e5e7eb"/>`,
    keyboard: (c) => `<rect x="9" y="35" width="82" height="34" rx="5" fill="${c}"/>${keyboardKeys()}`,
    tablet: (c) => `<rect x="23" y="15" width="54" height="72" rx="7" fill="${c}"/><rect x="27" y="20" width="46" height="62" rx="2" fill="#e0f2fe"/>
      <rect x="31" y="25" width="17" height="14" rx="2" fill="#7dd3fc"/><rect x="52" y="25" width="17" height="14" rx="2" fill="#fda4af"/>
      <rect x="31" y="43" width="17" height="14" rx="2" fill="#86efac"/><rect x="52" y="43" width="17" height="14" rx="2" fill="#fde68a"/>`,
    mug: (c) => `<path d="M64 40h6a11 11 0 0 1 0 22h-6" fill="none" stroke="${c}" stroke-width="6"/><rect x="24" y="28" width="42" height="52" rx="6" fill="${c}"/>
      <rect x="28" y="34" width="6" height="38" rx="3" fill="#fff" opacity=".2"/>`,
    pan: (c) => `<rect x="62" y="49" width="32" height="8" rx="4" fill="#111827" transform="rotate(-14 62 53)"/><ellipse cx="38" cy="58" rx="30" ry="17" fill="${c}"/>
      <ellipse cx="38" cy="55" rx="24" ry="12" fill="#000" opacity=".28"/>`,
    lamp: (c) => `<rect x="26" y="80" width="36" height="6" rx="3" fill="#374151"/><path d="M44 80L36 50 58 28" stroke="#374151" stroke-width="4" fill="none"/>
      <circle cx="36" cy="50" r="3.5" fill="#374151"/><path d="M50 22l30 10-12 18z" fill="${c}"/><path d="M70 42l-6 8" stroke="#fde68a" stroke-width="3"/>`,
    blender: (c) => `<path d="M33 20h34l-6 44H39z" fill="#bfdbfe" opacity=".95"/><path d="M37 44h27l-3 20H39z" fill="#f472b6" opacity=".7"/>
      <rect x="31" y="14" width="38" height="8" rx="2" fill="#111827"/><rect x="34" y="62" width="32" height="24" rx="5" fill="${c}"/><circle cx="50" cy="74" r="4" fill="#fff" opacity=".7"/>`,
    kettle: (c) => `<path d="M28 82l4-38q18-10 36 0l4 38z" fill="${c}"/><path d="M32 56Q18 46 12 30" stroke="${c}" stroke-width="4" fill="none"/>
      <path d="M68 48q14 4 12 22" stroke="${c}" stroke-width="5" fill="none"/><rect x="44" y="34" width="12" height="5" rx="2" fill="${c}"/>
      <rect x="26" y="80" width="48" height="6" rx="2" fill="#374151"/>`,
    pillow: (c) => `<path d="M16 32Q50 20 84 32q8 20 0 38-34 12-68 0-8-18 0-38z" fill="${c}"/><path d="M26 40q24-6 48 0" stroke="#fff" stroke-width="2" opacity=".4" fill="none"/>`,
    plant: (c) => `<path d="M50 62C40 44 28 40 22 30c16-2 26 10 28 32 2-22 12-34 30-36-6 14-18 20-30 36z" fill="#15803d"/>
      <path d="M50 62C46 46 46 34 50 22c4 12 4 24 0 40z" fill="#22c55e"/><path d="M32 60h36l-5 26H37z" fill="${c}"/><rect x="30" y="58" width="40" height="6" rx="2" fill="${c}"/>`,
    tshirt: (c) => `<path d="M36 18L21 26 10 42l13 9 7-6v41h40V45l7 6 13-9-11-16-15-8q-14 10-28 0z" fill="${c}"/>
      <path d="M36 18q14 10 28 0" stroke="#000" stroke-opacity=".2" stroke-width="2" fill="none"/>`,
    shoe: (c) => `<path d="M10 62q2-16 12-18l18-2q10 14 28 16l18 4q6 4 4 12H10z" fill="${c}"/><path d="M30 46l4 8M36 45l4 8" stroke="#fff" stroke-width="2"/>
      <rect x="9" y="71" width="82" height="8" rx="3" fill="#f8fafc" stroke="#cbd5e1"/>`,
    jacket: (c) => `<path d="M34 16L19 24l-6 58h17v4h40v-4h17l-6-58-15-8-16 10z" fill="${c}"/><path d="M50 26v60" stroke="#000" stroke-opacity=".35" stroke-width="2"/>
      <path d="M20 40h60M18 56h64" stroke="#000" stroke-opacity=".12" stroke-width="2"/>`,
    backpack: (c) => `<path d="M40 26v-6a10 10 0 0 1 20 0v6" stroke="#374151" stroke-width="4" fill="none"/><rect x="26" y="24" width="48" height="62" rx="13" fill="${c}"/>
      <rect x="32" y="54" width="36" height="24" rx="6" fill="#000" opacity=".18"/><rect x="36" y="58" width="28" height="3" rx="1" fill="#fff" opacity=".5"/>`,
    cap: (c) => `<path d="M20 62q0-32 30-32t30 32z" fill="${c}"/><path d="M48 58h44q-4 9-18 9H48z" fill="${c}"/><path d="M48 58h44q-4 9-18 9H48z" fill="#000" opacity=".2"/>
      <circle cx="50" cy="30" r="3" fill="${c}"/><path d="M50 30v30" stroke="#000" stroke-opacity=".15" stroke-width="2"/>`,
    sunglasses: (c) => `<path d="M20 44L8 36M80 44l12-8" stroke="${c}" stroke-width="3"/><circle cx="32" cy="52" r="14" fill="#1f2937" stroke="${c}" stroke-width="3"/>
      <circle cx="68" cy="52" r="14" fill="#1f2937" stroke="${c}" stroke-width="3"/><path d="M46 48q4-5 8 0" stroke="${c}" stroke-width="3" fill="none"/>
      <path d="M24 46l6-4M60 46l6-4" stroke="#fff" stroke-width="2" opacity=".35"/>`,
    bottle: (c) => `<rect x="40" y="14" width="20" height="14" rx="3" fill="#334155"/><rect x="35" y="26" width="30" height="60" rx="9" fill="${c}"/>
      <rect x="39" y="32" width="5" height="46" rx="2" fill="#fff" opacity=".25"/>`,
    mat: (c) => `<rect x="14" y="38" width="60" height="28" rx="4" fill="${c}"/><ellipse cx="74" cy="52" rx="11" ry="14" fill="${c}"/>
      <ellipse cx="74" cy="52" rx="6" ry="8" fill="#000" opacity=".25"/><path d="M14 44h58" stroke="#fff" stroke-opacity=".25" stroke-width="2"/>`,
    dumbbell: (c) => `<rect x="28" y="46" width="44" height="8" rx="2" fill="#9ca3af"/><rect x="14" y="30" width="17" height="40" rx="4" fill="${c}"/>
      <rect x="69" y="30" width="17" height="40" rx="4" fill="${c}"/><rect x="8" y="38" width="8" height="24" rx="3" fill="${c}"/><rect x="84" y="38" width="8" height="24" rx="3" fill="${c}"/>`,
    tent: (c) => `<path d="M10 82L50 20l40 62z" fill="${c}"/><path d="M50 40L38 82h24z" fill="#000" opacity=".3"/><path d="M50 20L50 82" stroke="#000" stroke-opacity=".15"/>
      <path d="M6 82h88" stroke="#78716c" stroke-width="3"/>`,
    ball: (c) => `<circle cx="50" cy="52" r="31" fill="${c}"/><path d="M19 52h62M50 21v62" stroke="#111827" stroke-width="2"/>
      <path d="M29 29q14 23 0 46M71 29q-14 23 0 46" stroke="#111827" stroke-width="2" fill="none"/>`,
    book: (c) => `<rect x="27" y="14" width="48" height="72" rx="3" fill="${c}"/><rect x="27" y="14" width="8" height="72" fill="#000" opacity=".25"/>
      <rect x="42" y="28" width="26" height="4" fill="#fff" opacity=".85"/><rect x="42" y="36" width="20" height="3" fill="#fff" opacity=".6"/>
      <rect x="42" y="72" width="16" height="3" fill="#fff" opacity=".6"/><rect x="74" y="17" width="3" height="66" fill="#f5f5f4"/>`,
    jar: (c) => `<rect x="27" y="40" width="46" height="42" rx="9" fill="${c}"/><rect x="25" y="28" width="50" height="14" rx="3" fill="#e5e7eb" stroke="#9ca3af"/>
      <rect x="35" y="52" width="30" height="16" rx="2" fill="#fff" opacity=".75"/>`,
    tube: (c) => `<path d="M33 14h34l-7 62H40z" fill="${c}"/><rect x="32" y="12" width="36" height="5" rx="1" fill="${c}"/>
      <rect x="41" y="76" width="18" height="10" rx="2" fill="#f8fafc" stroke="#94a3b8"/><rect x="42" y="30" width="16" height="14" rx="2" fill="#fff" opacity=".7"/>`,
    dropper: (c) => `<rect x="45" y="12" width="10" height="22" rx="5" fill="#111827"/><rect x="40" y="32" width="20" height="11" rx="2" fill="#111827"/>
      <rect x="34" y="42" width="32" height="44" rx="7" fill="${c}" opacity=".92"/><rect x="40" y="56" width="20" height="14" rx="2" fill="#fff" opacity=".75"/>`,
  };

  const ICONS = {
    search: '<svg viewBox="0 0 24 24" width="22" height="22"><circle cx="10" cy="10" r="6.5" fill="none" stroke="currentColor" stroke-width="2.4"/><path d="M15 15l6 6" stroke="currentColor" stroke-width="2.6" stroke-linecap="round"/></svg>',
    cart: '<svg viewBox="0 0 32 32" width="34" height="34"><path d="M2 5h5l4 15h15l3-10H9" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linejoin="round"/><circle cx="13" cy="25.5" r="2.3" fill="currentColor"/><circle cx="24" cy="25.5" r="2.3" fill="currentColor"/></svg>',
    heart: '<svg viewBox="0 0 24 24" width="20" height="20"><path d="M12 20.5S3 15 3 8.8A4.8 4.8 0 0 1 12 6.3a4.8 4.8 0 0 1 9 2.5C21 15 12 20.5 12 20.5z" fill="currentColor"/></svg>',
    heartOutline: '<svg viewBox="0 0 24 24" width="20" height="20"><path d="M12 20.5S3 15 3 8.8A4.8 4.8 0 0 1 12 6.3a4.8 4.8 0 0 1 9 2.5C21 15 12 20.5 12 20.5z" fill="none" stroke="currentColor" stroke-width="2"/></svg>',
    pin: '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M12 22s7-7.2 7-12.5A7 7 0 0 0 5 9.5C5 14.8 12 22 12 22z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="9.5" r="2.5" fill="currentColor"/></svg>',
    check: '<svg viewBox="0 0 24 24" width="16" height="16"><path d="M4 12.5l5 5L20 6.5" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    bag: '<svg viewBox="0 0 32 32" width="30" height="30"><path d="M6 10h20l-1.5 18h-17z" fill="#f59e0b"/><path d="M11 12V8a5 5 0 0 1 10 0v4" fill="none" stroke="#fff" stroke-width="2.2"/></svg>',
    truck: '<svg viewBox="0 0 24 24" width="18" height="18"><path d="M2 6h12v10H2zM14 10h4l3 3v3h-7z" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round"/><circle cx="6" cy="18" r="1.8" fill="currentColor"/><circle cx="17" cy="18" r="1.8" fill="currentColor"/></svg>',
  };

  // A product picture: ground shadow plus the kind's shapes.
  function productArt(product, cls) {
    const draw = SHAPES[product.image] || SHAPES.jar;
    return `<svg class="${cls || "art"}" viewBox="0 0 100 100" aria-hidden="true">` +
      '<ellipse cx="50" cy="90" rx="32" ry="4" fill="#000" opacity=".07"/>' + draw(product.color) + "</svg>";
  }

  window.ShopArt = { productArt: productArt, icons: ICONS, kinds: Object.keys(SHAPES) };
})();
