/*
 * vk_lzstring.c — LZ-String's URI-safe form (compressToEncodedURIComponent and its inverse), as
 * the BPJS Kesehatan web services use it for their responses (docs/design.md §8).
 *
 * The format
 * ----------
 * LZ-String is LZW over UTF-16 code units. Codes 0, 1 and 2 are reserved: 0 introduces a literal
 * unit of 8 bits, 1 a literal unit of 16 bits, 2 ends the stream. The dictionary starts empty
 * (next code 3); each new phrase "w + next unit" gets the next code. Codes are written
 * least-significant bit first in a width that starts at 2 bits and grows by one bit each time
 * the dictionary reaches a power of two (the "enlarge in" countdown below; a literal counts as a
 * dictionary entry of its own, which is why it decrements the countdown twice). The bit stream
 * is cut into 6-bit groups, most significant bit first, each written as one character of
 * "A-Za-z0-9+-". The last group is padded with zero bits — a whole extra 'A' when the stream
 * already ended on a group boundary, exactly as the reference implementation does, so the output
 * is byte-identical to it.
 *
 * Decompression without strings
 * -----------------------------
 * Every dictionary phrase is, at the moment it is created, a run of units the decoder has just
 * written: a literal is written once where it is defined, and "w + first unit of entry" is the
 * previous output w followed by the start of the current one. So an entry is an (offset, length)
 * pair into the output itself and the only allocation is that array. Output is built in @p out in
 * CESU-8 (each UTF-16 unit encoded on its own, surrogates as three bytes) so a phrase may end
 * between the halves of a surrogate pair; one final pass joins the pairs into four-byte UTF-8 in
 * place and rejects unpaired halves.
 *
 * Hostile input
 * -------------
 * The input is read lazily, one character per six bits, and never past its end (the stream
 * then is truncated). A code beyond the next dictionary slot, a stream starting with code 3, or
 * an unpaired surrogate is an error. LZW can expand quadratically (each phrase one unit longer
 * than an earlier one), so output is capped at LZ_MAX_OUTPUT bytes; the dictionary is bounded by
 * the input (at most two entries per code read) and capped besides. Like the reference, ' ' reads
 * as '+', '$' (value 64) reads as six zero bits, and characters after the end code are ignored.
 *
 * Compression keeps the phrases in one open-addressing hash table keyed by (code of the prefix,
 * next unit), sized from the input up front so it never rehashes: single units are keyed with
 * LZ_NO_PREFIX and carry the "not yet sent as a literal" flag of the reference's
 * dictionaryToCreate.
 */
#include "vk_lzstring.h"

#include "vk_err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LZ_BITS_PER_CHAR 6
#define LZ_MAX_OUTPUT    (64u << 20) /* decompressed bytes, before joining surrogate pairs */
#define LZ_MAX_DICT      (1u << 24)  /* decompression dictionary entries */
#define LZ_MAX_UNITS     (1u << 28)  /* UTF-16 units accepted by compression */
#define LZ_NO_PREFIX     UINT32_MAX

enum { LZ_CODE_CHAR8 = 0, LZ_CODE_CHAR16 = 1, LZ_CODE_END = 2 };

static const char lz_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$";

/* ---------------------------------------------------------------------------------------------
 * UTF-8 and CESU-8 helpers
 * ------------------------------------------------------------------------------------------- */

/**
 * @brief Decodes one strict UTF-8 sequence at @p s[*i] (no overlongs, no surrogates, nothing above
 * U+10FFFF) into @p cp and advances @p *i. Returns 0, or -1 leaving @p *i at the bad byte.
 */
static int lz_utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp) {
    uint8_t b = s[*i];
    uint8_t lo = 0x80, hi = 0xBF;
    size_t n;
    if (b < 0x80) {
        *cp = b;
        (*i)++;
        return 0;
    }
    if (b >= 0xC2 && b <= 0xDF) {
        n = 2, *cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3, *cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4, *cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else {
        return -1;
    }
    if (len - *i < n)
        return -1;
    for (size_t k = 1; k < n; k++) {
        uint8_t c = s[*i + k];
        if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF))
            return -1;
        *cp = (*cp << 6) | (c & 0x3F);
    }
    *i += n;
    return 0;
}

/** @brief Bytes taken by the CESU-8 encoding of the unit whose first byte is @p lead. */
static size_t lz_cesu_width(uint8_t lead) {
    return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : 3;
}

/** @brief Writes one UTF-16 unit as CESU-8 into @p p; returns the bytes written. */
static size_t lz_cesu_put(uint8_t *p, uint16_t u) {
    if (u < 0x80) {
        p[0] = (uint8_t)u;
        return 1;
    }
    if (u < 0x800) {
        p[0] = (uint8_t)(0xC0 | (u >> 6));
        p[1] = (uint8_t)(0x80 | (u & 0x3F));
        return 2;
    }
    p[0] = (uint8_t)(0xE0 | (u >> 12));
    p[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3F));
    p[2] = (uint8_t)(0x80 | (u & 0x3F));
    return 3;
}

/** @brief The UTF-16 unit of a three-byte CESU-8 sequence. */
static uint16_t lz_cesu3(const uint8_t *p) {
    return (uint16_t)(((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F));
}

/**
 * @brief Rewrites the CESU-8 in @p out from @p base on as UTF-8, in place: each high+low
 * surrogate pair (six bytes) becomes one four-byte sequence. Returns 0, or -1 with @p err on an
 * unpaired surrogate.
 */
static int lz_join_surrogates(vk_buf *out, size_t base, char *err, size_t errlen) {
    if (out->len == base)
        return 0;
    uint8_t *p = out->data + base;
    size_t n = out->len - base, r = 0, w = 0, unit = 0;
    while (r < n) {
        size_t width = lz_cesu_width(p[r]);
        if (width == 3 && p[r] == 0xED && p[r + 1] >= 0xA0) {
            uint16_t high = lz_cesu3(p + r);
            if (high >= 0xDC00 || n - r < 6 || p[r + 3] != 0xED || p[r + 4] < 0xB0)
                return vk_errf(err, errlen, "invalid UTF-16 surrogate U+%04X at unit %zu",
                               (unsigned)high, unit);
            uint32_t cp = 0x10000 + ((uint32_t)(high - 0xD800) << 10) +
                          (uint32_t)(lz_cesu3(p + r + 3) - 0xDC00);
            p[w++] = (uint8_t)(0xF0 | (cp >> 18));
            p[w++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            p[w++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            p[w++] = (uint8_t)(0x80 | (cp & 0x3F));
            r += 6, unit += 2;
            continue;
        }
        if (w != r)
            memmove(p + w, p + r, width);
        r += width, w += width, unit++;
    }
    out->len = base + w;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Decompression
 * ------------------------------------------------------------------------------------------- */

/** A phrase: @c len bytes of CESU-8 at @c off bytes past the start of this call's output. */
typedef struct lz_phrase {
    uint32_t off;
    uint32_t len;
} lz_phrase;

typedef struct lz_decoder {
    const char *in;
    size_t in_len;
    size_t in_pos;  /* next input character to load */
    unsigned value; /* 6-bit value of the character being read */
    unsigned mask;  /* its next bit; 0 when the next character must be loaded */
    vk_buf *out;
    size_t base;        /* out->len when the call began */
    lz_phrase *dict;    /* indexed by code; 0..2 unused */
    uint32_t dict_size; /* next code */
    uint32_t dict_cap;
    unsigned num_bits;
    uint32_t enlarge_in;
    char *err;
    size_t errlen;
} lz_decoder;

/** @brief The 6-bit value of an alphabet character, or -1 (' ' is '+', '$' is 64). */
static int lz_char_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == ' ')
        return 62;
    if (c == '-')
        return 63;
    if (c == '$')
        return 64;
    return -1;
}

/** @brief Loads the next input character; -1 with the error at its end or on a bad character. */
static int lz_load_char(lz_decoder *d) {
    if (d->in_pos >= d->in_len)
        return vk_errf(d->err, d->errlen, "truncated input (stream ends without its end code)");
    unsigned char c = (unsigned char)d->in[d->in_pos];
    int v = lz_char_value(c);
    if (v < 0) {
        if (c >= 0x21 && c < 0x7F)
            return vk_errf(d->err, d->errlen, "invalid character '%c' at %zu", c, d->in_pos);
        return vk_errf(d->err, d->errlen, "invalid character 0x%02X at %zu", c, d->in_pos);
    }
    d->value = (unsigned)v;
    d->mask = 1u << (LZ_BITS_PER_CHAR - 1);
    d->in_pos++;
    return 0;
}

/** @brief Reads @p n (≤ 31) bits, least significant first, into @p v. */
static int lz_read_bits(lz_decoder *d, unsigned n, uint32_t *v) {
    *v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (d->mask == 0 && lz_load_char(d))
            return -1;
        if (d->value & d->mask)
            *v |= 1u << i;
        d->mask >>= 1;
    }
    return 0;
}

/** @brief Bytes of output so far in this call. */
static size_t lz_out_len(const lz_decoder *d) {
    return d->out->len - d->base;
}

/** @brief Makes room for @p n more output bytes within LZ_MAX_OUTPUT. */
static int lz_out_reserve(lz_decoder *d, size_t n) {
    if (n > LZ_MAX_OUTPUT - lz_out_len(d))
        return vk_errf(d->err, d->errlen, "output exceeds %u bytes", LZ_MAX_OUTPUT);
    if (vk_buf_reserve(d->out, n))
        return vk_errf(d->err, d->errlen, "out of memory");
    return 0;
}

/** @brief Appends the phrase @p p as code number d->dict_size. */
static int lz_dict_add(lz_decoder *d, lz_phrase p) {
    if (d->dict_size == d->dict_cap) {
        if (d->dict_cap >= LZ_MAX_DICT)
            return vk_errf(d->err, d->errlen, "dictionary exceeds %u entries", LZ_MAX_DICT);
        uint32_t cap = d->dict_cap ? d->dict_cap * 2 : 256;
        lz_phrase *dict = realloc(d->dict, cap * sizeof *dict);
        if (!dict)
            return vk_errf(d->err, d->errlen, "out of memory");
        d->dict = dict;
        d->dict_cap = cap;
    }
    d->dict[d->dict_size++] = p;
    return 0;
}

/** @brief Counts one new dictionary entry against the code width, widening it when due. */
static void lz_decoder_count_entry(lz_decoder *d) {
    if (--d->enlarge_in == 0) {
        d->enlarge_in = 1u << d->num_bits;
        d->num_bits++;
    }
}

/**
 * @brief Reads a literal of @p bits (8 or 16) bits, writes it and defines it as a phrase.
 * @p at receives where it was written.
 */
static int lz_literal(lz_decoder *d, unsigned bits, lz_phrase *at) {
    uint32_t unit;
    if (lz_read_bits(d, bits, &unit) || lz_out_reserve(d, 3))
        return -1;
    at->off = (uint32_t)lz_out_len(d);
    at->len = (uint32_t)lz_cesu_put(d->out->data + d->out->len, (uint16_t)unit);
    d->out->len += at->len;
    return lz_dict_add(d, *at);
}

/**
 * @brief Writes the phrase of code @p c — an existing one, or (c == next code) the previous
 * output @p w plus its own first unit. @p at receives where it was written.
 */
static int lz_copy(lz_decoder *d, uint32_t c, lz_phrase w, lz_phrase *at) {
    lz_phrase src;
    size_t extra = 0;
    if (c < d->dict_size) {
        src = d->dict[c];
    } else if (c == d->dict_size) {
        src = w;
        extra = lz_cesu_width(d->out->data[d->base + w.off]);
    } else {
        return vk_errf(d->err, d->errlen, "invalid stream: code %u beyond dictionary size %u", c,
                       d->dict_size);
    }
    if (lz_out_reserve(d, src.len + extra))
        return -1;
    uint8_t *start = d->out->data + d->base;
    at->off = (uint32_t)lz_out_len(d);
    at->len = (uint32_t)(src.len + extra);
    memcpy(start + at->off, start + src.off, src.len);
    memcpy(start + at->off + src.len, start + src.off, extra);
    d->out->len += at->len;
    return 0;
}

/** @brief Decodes the first code, which must be a literal or the end. *done when it is the end. */
static int lz_decode_first(lz_decoder *d, lz_phrase *w, int *done) {
    uint32_t c;
    *done = 0;
    d->num_bits = 2;
    if (lz_read_bits(d, d->num_bits, &c))
        return -1;
    for (uint32_t i = 0; i < 3; i++) /* the reserved codes occupy slots 0..2 */
        if (lz_dict_add(d, (lz_phrase){0, 0}))
            return -1;
    d->num_bits = 3;
    d->enlarge_in = 4;
    if (c == LZ_CODE_END) {
        *done = 1;
        return 0;
    }
    if (c != LZ_CODE_CHAR8 && c != LZ_CODE_CHAR16)
        return vk_errf(d->err, d->errlen, "invalid stream: first code %u is not a literal", c);
    return lz_literal(d, c == LZ_CODE_CHAR8 ? 8 : 16, w);
}

/** @brief Decodes one code after the first. *done when it is the end code. */
static int lz_decode_next(lz_decoder *d, lz_phrase *w, int *done) {
    uint32_t c;
    lz_phrase entry = {0, 0};
    if (d->num_bits > 31)
        return vk_errf(d->err, d->errlen, "invalid stream: code width exceeds 31 bits");
    if (lz_read_bits(d, d->num_bits, &c))
        return -1;
    if (c == LZ_CODE_END) {
        *done = 1;
        return 0;
    }
    if (c == LZ_CODE_CHAR8 || c == LZ_CODE_CHAR16) {
        if (lz_literal(d, c == LZ_CODE_CHAR8 ? 8 : 16, &entry))
            return -1;
        lz_decoder_count_entry(d);
    } else if (lz_copy(d, c, *w, &entry)) {
        return -1;
    }
    /* w + first unit of entry: w was written immediately before entry. */
    uint8_t lead = d->out->data[d->base + entry.off];
    if (lz_dict_add(d, (lz_phrase){w->off, w->len + (uint32_t)lz_cesu_width(lead)}))
        return -1;
    lz_decoder_count_entry(d);
    *w = entry;
    return 0;
}

/** @brief Runs the decoder to the end code, leaving CESU-8 in the output. */
static int lz_decode(lz_decoder *d) {
    lz_phrase w = {0, 0};
    int done;
    if (lz_decode_first(d, &w, &done))
        return -1;
    while (!done)
        if (lz_decode_next(d, &w, &done))
            return -1;
    return 0;
}

int vk_lzstring_decompress_uri(const char *in, size_t len, vk_buf *out, char *err, size_t errlen) {
    if (len == 0)
        return 0;
    lz_decoder d = {
        .in = in, .in_len = len, .out = out, .base = out->len, .err = err, .errlen = errlen};
    int rc = lz_decode(&d);
    free(d.dict);
    if (rc == 0)
        rc = lz_join_surrogates(out, d.base, err, errlen);
    if (rc != 0)
        out->len = d.base;
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Compression
 * ------------------------------------------------------------------------------------------- */

/** A phrase of the compressor: (code of the prefix, or LZ_NO_PREFIX) + unit → code. */
typedef struct lz_slot {
    uint32_t prefix;
    uint32_t code;
    uint16_t unit;
    uint8_t used;
    uint8_t pending; /* single unit not yet sent as a literal (dictionaryToCreate) */
} lz_slot;

typedef struct lz_encoder {
    lz_slot *slots;
    size_t mask; /* slot count - 1, a power of two minus one */
    uint32_t dict_size;
    unsigned num_bits;
    uint32_t enlarge_in;
    vk_buf *out;
    unsigned value; /* bits of the character being built */
    unsigned nbits; /* how many */
} lz_encoder;

/** @brief The slot of (@p prefix, @p unit): the phrase's, or the empty one it would go in. */
static lz_slot *lz_lookup(lz_encoder *e, uint32_t prefix, uint16_t unit) {
    uint64_t h = ((uint64_t)prefix << 16 | unit) * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 32) & e->mask;
    while (e->slots[i].used && (e->slots[i].prefix != prefix || e->slots[i].unit != unit))
        i = (i + 1) & e->mask;
    return &e->slots[i];
}

/** @brief Defines the phrase in the empty slot @p s as the next code. */
static void lz_define(lz_encoder *e, lz_slot *s, uint32_t prefix, uint16_t unit, int pending) {
    *s = (lz_slot){.prefix = prefix,
                   .code = e->dict_size++,
                   .unit = unit,
                   .used = 1,
                   .pending = (uint8_t)pending};
}

/** @brief Writes the low @p n bits of @p v, least significant first, into the character stream. */
static int lz_write_bits(lz_encoder *e, uint32_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++, v >>= 1) {
        e->value = (e->value << 1) | (v & 1);
        if (++e->nbits == LZ_BITS_PER_CHAR) {
            if (vk_buf_append(e->out, &lz_alphabet[e->value], 1))
                return -1;
            e->value = e->nbits = 0;
        }
    }
    return 0;
}

/** @brief Counts one new dictionary entry against the code width, widening it when due. */
static void lz_encoder_count_entry(lz_encoder *e) {
    if (--e->enlarge_in == 0) {
        e->enlarge_in = 1u << e->num_bits;
        e->num_bits++;
    }
}

/** @brief Writes phrase @p w: as a literal the first time a single unit is sent, else its code. */
static int lz_emit(lz_encoder *e, lz_slot *w) {
    int rc;
    if (w->pending) {
        int wide = w->unit >= 256;
        rc = lz_write_bits(e, wide ? LZ_CODE_CHAR16 : LZ_CODE_CHAR8, e->num_bits) ||
             lz_write_bits(e, w->unit, wide ? 16 : 8);
        lz_encoder_count_entry(e);
        w->pending = 0;
    } else {
        rc = lz_write_bits(e, w->code, e->num_bits);
    }
    lz_encoder_count_entry(e);
    return rc ? -1 : 0;
}

/** @brief Feeds one UTF-16 unit; @p w is the current phrase (NULL before the first unit). */
static int lz_feed(lz_encoder *e, lz_slot **w, uint16_t unit) {
    lz_slot *single = lz_lookup(e, LZ_NO_PREFIX, unit);
    if (!single->used)
        lz_define(e, single, LZ_NO_PREFIX, unit, 1);
    if (!*w) {
        *w = single;
        return 0;
    }
    lz_slot *wc = lz_lookup(e, (*w)->code, unit);
    if (wc->used) {
        *w = wc;
        return 0;
    }
    if (lz_emit(e, *w))
        return -1;
    lz_define(e, wc, (*w)->code, unit, 0);
    *w = single;
    return 0;
}

/** @brief Counts the UTF-16 units of UTF-8 @p s, validating it. Returns 0 or -1 with @p err. */
static int lz_count_units(const uint8_t *s, size_t len, size_t *units, char *err, size_t errlen) {
    size_t i = 0;
    uint32_t cp;
    *units = 0;
    while (i < len) {
        if (lz_utf8_next(s, len, &i, &cp))
            return vk_errf(err, errlen, "invalid UTF-8 at byte %zu", i);
        *units += cp >= 0x10000 ? 2 : 1;
        if (*units > LZ_MAX_UNITS)
            return vk_errf(err, errlen, "input exceeds %u UTF-16 units", LZ_MAX_UNITS);
    }
    return 0;
}

/** @brief Feeds all of the (validated) UTF-8 @p s, as UTF-16 units, and writes the end. */
static int lz_encode(lz_encoder *e, const uint8_t *s, size_t len) {
    lz_slot *w = NULL;
    size_t i = 0;
    uint32_t cp = 0;
    while (i < len) {
        if (lz_utf8_next(s, len, &i, &cp)) /* validated by lz_count_units: cannot happen */
            return -1;
        if (cp < 0x10000) {
            if (lz_feed(e, &w, (uint16_t)cp))
                return -1;
        } else {
            cp -= 0x10000;
            if (lz_feed(e, &w, (uint16_t)(0xD800 | (cp >> 10))) ||
                lz_feed(e, &w, (uint16_t)(0xDC00 | (cp & 0x3FF))))
                return -1;
        }
    }
    if (w && lz_emit(e, w))
        return -1;
    if (lz_write_bits(e, LZ_CODE_END, e->num_bits))
        return -1;
    do { /* pad the last character; a whole 'A' when already aligned, as the reference does */
        if (lz_write_bits(e, 0, 1))
            return -1;
    } while (e->nbits != 0);
    return 0;
}

int vk_lzstring_compress_uri(const char *in, size_t len, vk_buf *out, char *err, size_t errlen) {
    const uint8_t *s = (const uint8_t *)in;
    size_t units, base = out->len;
    if (lz_count_units(s, len, &units, err, errlen))
        return -1;
    /* At most one phrase per unit plus one per distinct unit: keep the load under one half. */
    size_t phrases = units + (units < 65536 ? units : 65536) + 1, slots = 16;
    while (slots < 2 * phrases)
        slots *= 2;
    lz_encoder e = {.slots = calloc(slots, sizeof(lz_slot)),
                    .mask = slots - 1,
                    .dict_size = 3,
                    .num_bits = 2,
                    .enlarge_in = 2,
                    .out = out};
    if (!e.slots)
        return vk_errf(err, errlen, "out of memory");
    int rc = lz_encode(&e, s, len);
    free(e.slots);
    if (rc != 0) {
        out->len = base;
        return vk_errf(err, errlen, "out of memory");
    }
    return 0;
}
