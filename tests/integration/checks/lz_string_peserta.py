#!/usr/bin/env python3
"""The participant in a BPJS stub answer, read back with an independent LZ-String decompressor.

    lz_string_peserta.py LZ_FILE

LZ_FILE: the BPJS ciphertext of a found participant, decrypted (by openssl): LZ-String's
compressToEncodedURIComponent of the JSON {"peserta": {...}}. Decompresses it with
decompressFromEncodedURIComponent, transcribed from the reference lz-string (MIT; no code shared
with vaksin), and prints "nik|nama|noKartu|sex|tglLahir|statusPeserta.kode|statusPeserta.keterangan".
Exit status 1 (an AssertionError or a JSON error) when the stream does not decompress to such JSON.
"""
import json, sys

if len(sys.argv) != 2:
    sys.exit(__doc__)
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$"
s = open(sys.argv[1]).read().strip().replace(" ", "+")
val = lambda i: ALPHA.index(s[i]) if i < len(s) else 0
st = {"val": val(0), "pos": 32, "idx": 1}
def bits(n):
    out, power = 0, 1
    while power != 1 << n:
        b = st["val"] & st["pos"]
        st["pos"] >>= 1
        if st["pos"] == 0:
            st["pos"], st["val"] = 32, val(st["idx"])
            st["idx"] += 1
        out |= power if b else 0
        power <<= 1
    return out
d = {0: 0, 1: 1, 2: 2}
size, enlarge, nbits = 4, 4, 3
c = bits(2)
assert c in (0, 1), "empty or corrupt stream"
w = chr(bits(8 if c == 0 else 16))
d[3] = w
out = [w]
while True:
    assert st["idx"] <= len(s), "truncated stream"
    c = bits(nbits)
    if c in (0, 1):
        d[size] = chr(bits(8 if c == 0 else 16))
        c, size, enlarge = size, size + 1, enlarge - 1
    elif c == 2:
        break
    if enlarge == 0:
        enlarge, nbits = 1 << nbits, nbits + 1
    entry = d[c] if c in d else (w + w[0] if c == size else None)
    assert entry is not None, "bad dictionary reference"
    out.append(entry)
    d[size] = w + entry[0]
    size, enlarge, w = size + 1, enlarge - 1, entry
    if enlarge == 0:
        enlarge, nbits = 1 << nbits, nbits + 1
text = "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
p = json.loads(text)["peserta"]
print("|".join([p["nik"], p["nama"], str(p["noKartu"]), p["sex"], p["tglLahir"],
                p["statusPeserta"]["kode"], p["statusPeserta"]["keterangan"]]))
