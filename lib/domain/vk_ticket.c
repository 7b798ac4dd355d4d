/*
 * vk_ticket.c — ticket numbers (docs/design.md §4): what a target reads out at a vaccination desk.
 *
 * A ticket is the first 80 bits of HMAC-SHA256(key = the configured secret, message = the
 * 16-digit NIK), written as 16 Crockford base32 symbols, followed by one Crockford check symbol
 * (the same 80-bit value mod 37).
 *
 * Why this shape
 * - Keyed hash, not a counter or a plain hash: re-importing a target yields the same ticket
 *   with no lookup, and without the secret nobody can compute a ticket from a NIK (a plain
 *   SHA-256 of a 16-digit number with a known structure is brute-forced in minutes).
 * - 80 bits: among 300 million targets the chance of any collision is about n^2 / 2^81 = 4e-8,
 *   well under the one in a million the design asks for; the ticket service still refuses and
 *   reports a collision rather than merging two people.
 * - Crockford base32: no I, L, O or U to misread, case-insensitive, 5 bits per symbol.
 * - Mod 37 check symbol: 37 is prime and greater than 32, so changing any single symbol changes
 *   the value by (b - a) * 32^k with 0 < |b - a| < 37, never a multiple of 37: every
 *   single-symbol substitution is caught, and so is every adjacent transposition
 *   ((a - b) * 31 * 32^k). The remainder is taken byte by byte, so no bignum is needed.
 *
 * OpenSSL's one-shot HMAC() allocates its context internally; this file allocates nothing.
 */
#include "vk_ticket.h"

#include "vk_err.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define VK_TICKET_BYTES        10 /* 80 bits */
#define VK_TICKET_DATA_SYMBOLS 16

static const char vk_base32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/* Crockford's check alphabet: the 32 base32 symbols, then * ~ $ = U for 32..36. */
static const char vk_check_symbols[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/** @brief The big-endian number in @p bytes, mod 37, one byte at a time (no bignum). */
static unsigned vk_mod37_bytes(const uint8_t *bytes, size_t n) {
    unsigned r = 0;
    for (size_t i = 0; i < n; i++)
        r = (r * 256 + bytes[i]) % 37;
    return r;
}

/** @brief 80 bits, most significant first, as 16 base32 symbols. */
static void vk_base32_80(const uint8_t bytes[VK_TICKET_BYTES], char out[VK_TICKET_DATA_SYMBOLS]) {
    uint32_t acc = 0;
    int bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < VK_TICKET_BYTES; i++) {
        acc = (acc << 8) | bytes[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[k++] = vk_base32[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
}

void vk_ticket_from_nik(const uint8_t *secret, size_t secret_len, const char *nik,
                        char out[VK_TICKET_LEN + 1]) {
    static const uint8_t no_key[1];
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    const char *msg = nik ? nik : "";
    /*
     * HMAC-SHA256 fails only when OpenSSL cannot allocate or is misconfigured. A wrong ticket
     * would be written to an immutable log, so stop instead of returning something plausible.
     */
    if (secret_len > INT_MAX ||
        !HMAC(EVP_sha256(), secret_len ? secret : no_key, (int)secret_len,
              (const unsigned char *)msg, strlen(msg), mac, &mac_len) ||
        mac_len < VK_TICKET_BYTES) {
        fputs("vk_ticket_from_nik: HMAC-SHA256 failed\n", stderr);
        abort();
    }
    vk_base32_80(mac, out);
    out[VK_TICKET_DATA_SYMBOLS] = vk_check_symbols[vk_mod37_bytes(mac, VK_TICKET_BYTES)];
    out[VK_TICKET_LEN] = '\0';
}

/** @brief A typed character as a ticket symbol: upper-cased, O→0, I/L→1. */
static char vk_ticket_fold(char c) {
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    if (c == 'O')
        return '0';
    if (c == 'I' || c == 'L')
        return '1';
    return c;
}

/** @brief Index of @p c in the check alphabet (0..36), or -1. */
static int vk_check_value(char c) {
    const char *p = c ? strchr(vk_check_symbols, c) : NULL;
    return p ? (int)(p - vk_check_symbols) : -1;
}

/*
 * Folds @p in into symbols, keeping the first VK_TICKET_LEN (and the input position of each)
 * and counting them all; refuses a character that is no ticket symbol at all.
 */
static int vk_ticket_collect(const char *in, char sym[VK_TICKET_LEN], size_t pos[VK_TICKET_LEN],
                             size_t *count, char *err, size_t errlen) {
    size_t n = 0;
    for (size_t i = 0; in[i]; i++) {
        if (in[i] == '-' || in[i] == ' ')
            continue;
        const char c = vk_ticket_fold(in[i]);
        if (vk_check_value(c) < 0) {
            const unsigned char b = (unsigned char)in[i];
            if (b >= 0x20 && b < 0x7f)
                return vk_errf(err, errlen,
                               "ticket contains '%c' at position %zu, which is "
                               "not a ticket symbol",
                               in[i], i + 1);
            return vk_errf(err, errlen,
                           "ticket contains byte 0x%02X at position %zu, which is "
                           "not a ticket symbol",
                           b, i + 1);
        }
        if (n < VK_TICKET_LEN) {
            sym[n] = c;
            pos[n] = i + 1;
        }
        n++;
    }
    *count = n;
    return 0;
}

/* Checks a typed ticket and leaves its 17 canonical symbols in @p sym. */
static int vk_ticket_check(const char *in, char sym[VK_TICKET_LEN], char *err, size_t errlen) {
    size_t pos[VK_TICKET_LEN];
    size_t n = 0;
    if (!in)
        return vk_errf(err, errlen, "ticket is missing");
    if (vk_ticket_collect(in, sym, pos, &n, err, errlen))
        return -1;
    if (n != VK_TICKET_LEN)
        return vk_errf(err, errlen, "ticket has %zu symbols, expected %d", n, VK_TICKET_LEN);
    unsigned r = 0;
    for (size_t i = 0; i < VK_TICKET_DATA_SYMBOLS; i++) {
        const int v = vk_check_value(sym[i]);
        if (v >= 32)
            return vk_errf(err, errlen,
                           "ticket symbol '%c' at position %zu may only be the "
                           "last (check) symbol",
                           sym[i], pos[i]);
        r = (r * 32 + (unsigned)v) % 37; /* same number as the 10 bytes, so the same remainder */
    }
    if ((int)r != vk_check_value(sym[VK_TICKET_DATA_SYMBOLS]))
        return vk_errf(err, errlen, "ticket check symbol does not match: mistyped?");
    return 0;
}

int vk_ticket_canonical(const char *in, char out[VK_TICKET_LEN + 1], char *err, size_t errlen) {
    char sym[VK_TICKET_LEN];
    if (vk_ticket_check(in, sym, err, errlen)) {
        out[0] = '\0';
        return -1;
    }
    memcpy(out, sym, VK_TICKET_LEN); /* @p in may be @p out: it is no longer read */
    out[VK_TICKET_LEN] = '\0';
    return 0;
}
