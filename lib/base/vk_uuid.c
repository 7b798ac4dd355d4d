/*
 * vk_uuid.c — name-based UUIDs (RFC 4122 §4.3, version 5, SHA-1) and the text form.
 *
 * Every event a service emits gets an id derived from the id of the event it handles:
 * UUIDv5(VK_UUID_NAMESPACE, "<service>/<input_event_id>/<n>"). Reprocessing an input after a
 * crash therefore re-emits the same ids, which is what lets consumers drop duplicates; no
 * random number generator and no state are involved.
 *
 * The name is hashed in pieces (namespace, service, "/", input id, "/", n) rather than
 * formatted into a buffer first, so an id of any length is hashed whole, with no truncation and
 * no allocation here. SHA-1's weakness against chosen collisions does not matter for ids derived
 * from our own inputs; RFC 4122 fixes it for version 5 and Python's uuid.uuid5 agrees with it,
 * which the tests check. OpenSSL allocates the digest context internally.
 */
#include "vk_uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* def095a8-4907-4fb1-b9c3-1c47acaf11b8, drawn once from /proc/sys/kernel/random/uuid.
 * Changing it changes every derived event id: never do it. */
const uint8_t VK_UUID_NAMESPACE[16] = {0xde, 0xf0, 0x95, 0xa8, 0x49, 0x07, 0x4f, 0xb1,
                                       0xb9, 0xc3, 0x1c, 0x47, 0xac, 0xaf, 0x11, 0xb8};

typedef struct vk_uuid_part {
    const void *data;
    size_t len;
} vk_uuid_part;

/* SHA-1 of namespace || parts..., first 16 bytes, version 5 and RFC 4122 variant set. */
static void vk_uuid_v5_parts(const uint8_t ns[16], const vk_uuid_part *parts, size_t nparts,
                             uint8_t uuid[16]) {
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) && EVP_DigestUpdate(ctx, ns, 16);
    for (size_t i = 0; ok && i < nparts; i++)
        ok = !parts[i].len || EVP_DigestUpdate(ctx, parts[i].data, parts[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) && md_len >= 16;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        /* Only an allocation failure inside OpenSSL gets here; a made-up id would break
         * idempotence silently, so stop. */
        fputs("vk_uuid_v5: SHA-1 failed\n", stderr);
        abort();
    }
    memcpy(uuid, md, 16);
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x50); /* version 5 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* variant 10xx */
}

void vk_uuid_format(const uint8_t uuid[16], char out[37]) {
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[uuid[i] >> 4];
        out[k++] = hex[uuid[i] & 15];
    }
    out[k] = '\0';
}

void vk_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]) {
    const vk_uuid_part part = {name, len};
    uint8_t uuid[16];
    vk_uuid_v5_parts(ns, &part, 1, uuid);
    vk_uuid_format(uuid, out);
}

void vk_derive_event_id(const char *service, const char *input_event_id, int n, char out[37]) {
    char num[16];
    const int num_len = snprintf(num, sizeof num, "%d", n);
    service = service ? service : "";
    input_event_id = input_event_id ? input_event_id : "";
    const vk_uuid_part parts[] = {
        {service, strlen(service)}, {"/", 1}, {input_event_id, strlen(input_event_id)}, {"/", 1},
        {num, (size_t)num_len},
    };
    uint8_t uuid[16];
    vk_uuid_v5_parts(VK_UUID_NAMESPACE, parts, sizeof parts / sizeof parts[0], uuid);
    vk_uuid_format(uuid, out);
}

static int vk_hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vk_uuid_parse(const char *s, uint8_t out[16]) {
    uint8_t uuid[16];
    size_t k = 0;
    if (!s)
        return -1;
    for (size_t i = 0; i < 36; i += 2) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            i++;
        }
        const int hi = vk_hex_value(s[i]);
        const int lo = hi < 0 ? -1 : vk_hex_value(s[i + 1]); /* s[i] != NUL: safe to read on */
        if (lo < 0)
            return -1;
        uuid[k++] = (uint8_t)(hi << 4 | lo);
    }
    if (s[36] != '\0')
        return -1;
    memcpy(out, uuid, 16);
    return 0;
}
