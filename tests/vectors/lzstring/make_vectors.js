// make_vectors.js — writes vectors.json next to this file: {plain, compressed} pairs made by the
// reference LZ-String implementation (npm lz-string 1.5.0), for tests/unit/test_lzstring.c.
// Run through make_vectors.sh, which installs the package into a temporary directory and passes
// its path as argv[2]. Deterministic: the long inputs come from a fixed-seed generator.
'use strict';
const fs = require('fs');
const path = require('path');
const LZString = require(path.join(process.argv[2], 'node_modules', 'lz-string'));

// mulberry32: a small, well-known 32-bit PRNG, so the long inputs never change.
function rng(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['SITI', 'NURHALIZA', 'AGUS', 'SANTOSO', 'NI LUH PUTU', 'AYU', 'DÉWI', 'MÜLLER',
               'BAMBANG', 'SRI', 'WAHYUNI', 'ꦱꦶꦠꦶ', 'KADEK', 'MADE', 'RINA', 'YOHANES'];
const STATUS = [['0', 'AKTIF'], ['1', 'TIDAK AKTIF'], ['2', 'MENINGGAL'], ['9', 'KELUAR']];

// Pseudo-random BPJS-like participant records until the text reaches `bytes` UTF-8 bytes.
function randomJson(seed, bytes) {
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const digits = (n) => { let s = ''; for (let i = 0; i < n; i++) s += Math.floor(r() * 10); return s; };
  const pad = (n) => String(n).padStart(2, '0');
  const out = [];
  let size = 2;
  while (size < bytes) {
    const st = pick(STATUS);
    const rec = JSON.stringify({
      nik: digits(16), nama: pick(NAMES) + ' ' + pick(NAMES), noKartu: digits(13),
      sex: r() < 0.5 ? 'L' : 'P',
      tglLahir: (1940 + Math.floor(r() * 80)) + '-' + pad(1 + Math.floor(r() * 12)) + '-' +
                pad(1 + Math.floor(r() * 28)),
      statusPeserta: { kode: st[0], keterangan: st[1] },
      umur: Math.floor(r() * 90),
    });
    out.push(rec);
    size += Buffer.byteLength(rec) + 1;
  }
  return '[' + out.join(',') + ']';
}

const BPJS = '{"peserta":{"nik":"3273025205850001","nama":"SITI NURHALIZA","noKartu":' +
             '"0001234567890","sex":"P","tglLahir":"1985-05-12","statusPeserta":' +
             '{"kode":"0","keterangan":"AKTIF"}}}';

const cases = [
  ['empty', ''],
  ['one char', 'a'],
  ['short ASCII', 'Hello, world!'],
  ['NUL inside', 'a\u0000b'],
  ['BPJS participant', BPJS],
  ['Latin-1 (8-bit literals)', 'Ni Luh Putu Ayu Déwi, Jürgen Müller'],
  ['Javanese script (16-bit literals)', 'ꦱꦶꦠꦶ ꦤꦸꦂꦲꦭꦶꦗ'],
  ['emoji outside the BMP (surrogate pair)', 'masker 😷 wajib 😷😷'],
  ['mixed scripts', '{"nama":"Déwi ꦱꦶꦠꦶ 😷 Müller","kota":"Yogyakarta"}'],
  ['repetitive', 'ab'.repeat(500) + 'abcabcabc'.repeat(200)],
  ['one letter repeated', 'a'.repeat(3000)],
  ['BPJS full response', '{"metaData":{"code":"200","message":"OK"},"response":' +
                         JSON.stringify(BPJS) + '}'],
  ['random JSON 10 KB (seed 1)', randomJson(1, 10 * 1024)],
  ['random JSON 100 KB (seed 2)', randomJson(2, 100 * 1024)],
];

const vectors = cases.map(([name, plain]) => {
  const compressed = LZString.compressToEncodedURIComponent(plain);
  if (name !== 'empty' && LZString.decompressFromEncodedURIComponent(compressed) !== plain)
    throw new Error('reference round trip failed: ' + name);
  return { name, plain, compressed };
});

fs.writeFileSync(path.join(__dirname, 'vectors.json'),
                 JSON.stringify({ generator: 'lz-string@1.5.0', vectors }, null, 1) + '\n');
